#!/usr/bin/env bash
# A single-node SLURM cluster on this machine, for the workflow's SLURM tests and for
# developers: installs Debian's slurm-wlm and munge when missing, writes a slurm.conf for
# this host (all its CPUs, 90% of its memory, partition "debug", no accounting database)
# and starts munged, slurmctld and slurmd directly (no systemd needed). Idempotent: a
# cluster that already answers `sinfo` is left alone. Needs root (or sudo).
#   tests/slurm/start.sh && sinfo
set -euo pipefail
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
if sinfo -h -o %T 2>/dev/null | grep -qE "idle|mix|alloc"; then
    echo "slurm: already running"; exit 0
fi
if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        slurm-wlm munge >/dev/null
fi
host=$(hostname -s)
# nproc honours OMP_NUM_THREADS, which a test process sets to 1: count the CPUs without it
cpus=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)
memory=$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)
conf=/etc/slurm/slurm.conf
if [ -e "$conf" ] && ! grep -q "written by gmmmi tests/slurm/start.sh" "$conf"; then
    echo "slurm: $conf exists and is not ours; not touching it" >&2; exit 1
fi
$sudo mkdir -p /etc/slurm /run/munge /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
$sudo tee "$conf" >/dev/null <<CONF
# written by gmmmi tests/slurm/start.sh: one node, no accounting database
ClusterName=gmmmi
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=/var/log/slurm/jobcomp.log
# finished jobs stay visible to squeue (the status check without sacct)
MinJobAge=300
# a job without a memory request must not take the whole node
DefMemPerCPU=1000
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
$sudo chown munge:munge /run/munge
pgrep -x munged >/dev/null || $sudo runuser -u munge -- /usr/sbin/munged
pgrep -x slurmctld >/dev/null || $sudo /usr/sbin/slurmctld
pgrep -x slurmd >/dev/null || $sudo nice -n 10 /usr/sbin/slurmd
for _ in $(seq 60); do
    if sinfo -h -o %T 2>/dev/null | grep -qE "idle|mix|alloc"; then
        echo "slurm: node $host up ($cpus CPUs, $memory MB)"; exit 0
    fi
    sleep 0.5
done
echo "slurm: the node did not come up; see /var/log/slurm/" >&2
exit 1
