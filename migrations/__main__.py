"""Write a new migration from the difference between models.py and the migrations so far."""
import sys

from playhouse.db_url import connect

import models
from migrations import router

name = sys.argv[1] if len(sys.argv) > 1 else "auto"
database = connect("sqlite:///:memory:")
models.db.initialize(database)
r = router(database)
r.run()
r.create(name.replace(" ", "_"), auto=models)
