"""The layout holds what README and ../shared/ARCHITECTURE.md promise: a newcomer finds a concern in one guess."""
import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.first_pass_only  # checks of the code: the same on either database

ROOT = Path(__file__).resolve().parent.parent
SKIP = {"tests", "bench", ".venv", "node_modules", "site", "static", "instance", "templates", "content"}
LAYER_CHECK = ROOT.parent / "shared" / "tools" / "check_layers.py"


def project_modules():
    """Every Python file of the application (tests and benchmarks aside), relative to the root."""
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in SKIP or any(part.startswith(".") for part in rel.parts):
            continue
        yield rel


def readme_layout():
    """README's "Layout" section, and the paths named in the first column of its table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    paths = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            paths.update(re.findall(r"`([^`]+)`", line.split("|")[1]))
    return section, paths


def test_readme_layout_names_every_module_and_package_and_only_what_exists():
    section, listed = readme_layout()
    for path in listed:
        assert (ROOT / path.rstrip("/")).exists(), "README's layout names %s, which does not exist" % path
    missing = []
    for rel in project_modules():
        if len(rel.parts) == 1:
            if rel.as_posix() not in listed:
                missing.append(rel.as_posix())
            continue
        if rel.parts[0] + "/" not in listed:
            missing.append(rel.parts[0] + "/")
        numbered = rel.parts[0] == "migrations" and re.match(r"\d{3}_", rel.name)
        if rel.name != "__init__.py" and not numbered and not re.search(
                r"`(%s/)?%s`" % (re.escape(rel.parent.as_posix()), re.escape(rel.name)), section):
            missing.append(rel.as_posix())
    assert not missing, "README's layout does not name: %s" % ", ".join(sorted(set(missing)))


def test_every_module_opens_with_a_line_saying_its_job():
    silent = []
    for rel in project_modules():
        tree = ast.parse((ROOT / rel).read_text(encoding="utf-8"))
        doc = ast.get_docstring(tree)
        if not doc or not doc.splitlines()[0].strip():
            silent.append(rel.as_posix())
    assert not silent, "modules without an opening docstring: %s" % ", ".join(silent)


def test_an_import_inside_a_function_says_why():
    unexplained = []
    for rel in list(project_modules()) + [Path("bench") / p.name for p in (ROOT / "bench").glob("*.py")]:
        source = (ROOT / rel).read_text(encoding="utf-8")
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    here, above = lines[inner.lineno - 1], lines[inner.lineno - 2] if inner.lineno > 1 else ""
                    if "#" not in here and not above.strip().startswith("#"):
                        unexplained.append("%s:%d" % (rel.as_posix(), inner.lineno))
    assert not unexplained, "imports inside functions without a comment saying why: %s" % ", ".join(
        sorted(set(unexplained)))


@pytest.mark.skipif(not LAYER_CHECK.exists(), reason="../shared/tools/check_layers.py is not beside the checkout")
def test_the_layers_of_the_architecture_hold():
    result = subprocess.run([sys.executable, str(LAYER_CHECK), str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_test_app_writes_nothing_into_the_checkout(app):
    """The site a test's publish builds, the attachments and the database all live in the test's folders."""
    paths = {key: Path(app.config[key]).resolve() for key in ("SITE_DIR", "ATTACHMENTS_DIR")}
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite"):
        paths["DATABASE_URL"] = Path(url.split("///", 1)[1]).resolve()
    inside = {key: str(path) for key, path in paths.items() if path.is_relative_to(ROOT)}
    assert not inside, inside


def test_the_repository_tracks_nothing_that_set_up_or_a_run_makes():
    """A clean clone must build its own environment: a committed `.venv` or `node_modules` (even as a symlink
    to one machine's folder) or a symlink pointing anywhere makes `make test` fail on the next machine."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-s"], capture_output=True, text=True, check=True)
    tracked = [line.split("\t", 1) for line in listed.stdout.splitlines()]
    symlinks = [path for meta, path in tracked if meta.startswith("120000")]
    assert not symlinks, symlinks
    ignored = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-ci", "--exclude-standard"],
                             capture_output=True, text=True, check=True).stdout.split()
    assert not ignored, ignored
    generated = {".venv", "node_modules", "site", "instance", "static/vendor"}
    inside = [path for _meta, path in tracked if any(path == g or path.startswith(g + "/") for g in generated)]
    assert not inside, inside
