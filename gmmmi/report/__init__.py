"""The HTML report of an MI matrix: the page (``page``), its figures (``figures``), the
disentanglement scores it shows (``scores``) and its Jinja2 template (``templates/``)."""
