"""The site's search index: Pagefind run over the frozen pages."""
import shutil
import subprocess
import time
from pathlib import Path

from pagefind_bin import get_executable

from sitebuild import SEARCH_INDEX, BuildError


def index_search(folder):
    """Index the frozen site in `folder` with Pagefind into `folder`/pagefind/; returns the seconds it took.

    Only the pages' main content is indexed (`data-pagefind-body` in templates/public/base.html).
    The previous index, carried forward with the build, is removed first: its file names change.
    """
    started = time.perf_counter()
    shutil.rmtree(Path(folder) / SEARCH_INDEX, ignore_errors=True)
    result = subprocess.run([str(get_executable()), "--site", str(folder), "--output-subdir", SEARCH_INDEX,  # nosec B603  # pagefind
                             "--silent"], capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise BuildError("Không lập được chỉ mục tìm kiếm (Pagefind): %s" % (result.stderr or result.stdout).strip())
    return time.perf_counter() - started
