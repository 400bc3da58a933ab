"""Numbers the pages quote from a measured result are that result's, to the digits the
page gives: each claim names its page and its file in ``benchmarks/measured/``, and
the same named numbers in both."""

import re

import pytest

from tests.helpers import ROOT

NUMBER = r"[-+]?\d+(?:\.\d+)?"

# (page, its words with numbers as {names}, measured file, the file's words, likewise)
CLAIMS = [
    *[("README.md",
       rf"\| {n} \| {{mae}} / {{ksg}} / {{reference}} \| {{coverage}} \| {{seconds}} "
       rf"\({{ksg_seconds}}\) \|",
       "accuracy.md",
       rf"\| auto \| {n} \| \d+ \| {{mae}} \| \S+ \| {{coverage}} \| [^|]+ \| [^|]+ "
       rf"\| [^|]+ \| {{seconds}} \|.*?\| ksg \| {n} \| \d+ \| {{ksg}} \| \S+ "
       rf"\| – \| – \| – \| \d+ \| {{ksg_seconds}} \|.*?\| reference \| {n} \| \d+ "
       rf"\| {{reference}} \|")
      for n in (200, 1000, 5000)],
    ("docs/user-guide/install.md",
     r"`gmmmi compile`\s+took {compile} s on 2 cores, after which the first estimate of a "
     r"new process took {first} s,\s+imports included; without it, the first estimate "
     r"took {cold} s",
     "first_estimate.md",
     r"\| cold \| estimate \| {cold} \|.*\| compile \| gmmmi compile \| {compile} \|.*"
     r"\| first \| estimate \| {first} \|"),
    ("docs/user-guide/disentanglement.md",
     r"is {mig} \(95% interval {mig_low}–{mig_high}\), disentanglement_lib's discrete MIG "
     r"{discrete} on all rows\s+and {discrete_10k} on 10,000",
     "disentanglement.md",
     r"\| MIG \(gmmmi\) \| {mig} \| {mig_low}–{mig_high} \|.*\| MIG \(discrete\) \| "
     r"{discrete} \|.*\| MIG \(discrete\), 10,000 rows \| {discrete_10k} \|"),
    ("docs/user-guide/disentanglement.md",
     r"Modularity {mod} \({mod_low}–{mod_high}\) against {mod_discrete} discrete; SAP "
     r"{sap}; DCI disentanglement\s+{dci}, completeness {completeness}, informativeness "
     r"{informativeness}; explicitness {explicitness}\. DCI's boosted trees\s+are the "
     r"cost: {dci_seconds} s",
     "disentanglement.md",
     r"\| modularity \(gmmmi\) \| {mod} \| {mod_low}–{mod_high} \|.*"
     r"\| modularity \(discrete\) \| {mod_discrete} \|.*\| SAP \| {sap} \|.*"
     r"\| DCI disentanglement \| {dci} \| – \| {dci_seconds} \|.*"
     r"\| DCI completeness \| {completeness} \|.*"
     r"\| DCI informativeness \(test accuracy\) \| {informativeness} \|.*"
     r"\| explicitness \(test ROC AUC\) \| {explicitness} \|"),
    ("docs/user-guide/nif.md",
     r"Sobol total-effect indices {friedman} / {additive} / {interaction}, at most "
     r"{irrelevant}% on irrelevant",
     "nif_attribution.md",
     r"\| friedman1 \| direct \| {friedman} \|.*\| additive \| direct \| {additive} \|.*"
     r"\| interaction \| direct \| {interaction} \| [\d.]+ \| {irrelevant} %"),
    ("docs/user-guide/nif.md",
     r"ρ {friedman} / {additive} / {interaction},\s+at most {irrelevant}% on irrelevant",
     "nif_attribution_relu.md",
     r"\| friedman1 \| direct \| {friedman} \|.*\| additive \| direct \| {additive} \|.*"
     r"\| interaction \| direct \| {interaction} \| [\d.]+ \| {irrelevant} %"),
]


def numbers(pattern, text, where):
    """The named numbers of ``pattern`` (``{name}`` for each) as found in ``text``."""
    names = re.findall(r"{(\w+)}", pattern)
    regex = pattern
    for name in dict.fromkeys(names):
        regex = regex.replace("{%s}" % name, f"(?P<{name}>{NUMBER})", 1)
        regex = regex.replace("{%s}" % name, f"(?P={name})")
    found = re.search(regex, text, re.S)
    assert found, f"{where}: no text matches {pattern!r}"
    return found.groupdict()


def mismatches(page_text, said, measured_text, source):
    """The numbers the page gives that its measured file does not, to the page's digits."""
    quoted = numbers(said, page_text, "the page")
    result = numbers(source, measured_text, "the measured file")
    wrong = []
    for name, text in quoted.items():
        digits = len(text.split(".")[1]) if "." in text else 0
        if float(text) != round(float(result[name]), digits):
            wrong.append(f"{name}: the page says {text}, the measured file {result[name]}")
    return wrong


@pytest.mark.parametrize("page, said, measured, source", CLAIMS,
                         ids=[f"{c[0].split('/')[-1]}-{c[2]}" for c in CLAIMS])
def test_a_page_quotes_its_measured_result(page, said, measured, source):
    measured_text = (ROOT / "benchmarks" / "measured" / measured).read_text()
    assert not mismatches((ROOT / page).read_text(), said, measured_text, source), (
        f"{page} against {measured}")


def test_a_number_that_differs_from_its_result_is_caught():
    page, said, measured, source = next(c for c in CLAIMS if c[2] == "first_estimate.md")
    text = (ROOT / page).read_text()
    quoted = numbers(said, text, page)["first"]
    stale = text.replace(f"process took {quoted} s", "process took 9.9 s")
    measured_text = (ROOT / "benchmarks" / "measured" / measured).read_text()
    result = numbers(source, measured_text, measured)["first"]
    assert mismatches(stale, said, measured_text, source) == [
        f"first: the page says 9.9, the measured file {result}"]
