"""The build cache: one snapshot of the gate's results per build, and values carried to the next build.

Inside `build_cache()` each memoized function of the gate runs once per arguments; outside it,
every call works afresh (the live preview is always current). A `Carry` lends the next build of
the same code the values that depend only on records' signatures (see carried_values).
"""
import contextlib
import functools
import hashlib
import marshal

_cache = None
_carry = None


class Carry:
    """Values that depend only on records' signatures, kept from one build to the next of the same code.

    `previous`: {table: {signature: value}} as the last build left it; `made`: this build's, filled
    as the tables are made (see carried_values) and, for a table this build did not make (its
    page kept), completed from `previous` by `kept()`.
    """

    def __init__(self, previous=None):
        self.previous = previous if isinstance(previous, dict) else {}
        self.made = {}

    def kept(self):
        """What the next build may reuse: this build's tables, and the previous ones it did not remake."""
        return {**self.previous, **self.made}


@contextlib.contextmanager
def build_cache(carry=None):
    """Within this block each gate function runs once per arguments (one consistent snapshot).

    `carry`, a Carry, lends values made by the previous build of the same code (see carried_values).
    """
    global _cache, _carry
    outer = _cache, _carry
    if _cache is None:
        _cache, _carry = {}, carry
    try:
        yield
    finally:
        _cache, _carry = outer


def active():
    """True inside build_cache(): the gate may answer from the results it keeps."""
    return _cache is not None


def current_carry():
    """The Carry of the build under way, or None."""
    return _carry


def carried_values(table, records, make):
    """[value of each record]: made by make(records) (a list of values, in order) for the records
    whose signature the previous build of the same code did not meet in `table`, taken from that
    build for the others.

    Only for a value worked out from nothing but the record and the code (the signature covers the
    record; the build's fingerprint, the code and the base URL).
    """
    if _carry is None:
        return make(records)
    previous = _carry.previous.get(table) or {}
    values = [previous.get(record.signature) if record.signature else None for record in records]
    missing = [index for index, value in enumerate(values) if value is None]
    if missing:
        for index, value in zip(missing, make([records[index] for index in missing]), strict=True):
            values[index] = value
    _carry.made[table] = {record.signature: value for record, value in zip(records, values, strict=True)
                          if record.signature}
    return values


def record_repr(record):
    """The text of what `record` is made of: its signature, or its repr worked out once per record
    inside build_cache() (the record is kept alive with it, so that its id stays its own)."""
    signature = getattr(record, "signature", "")
    if signature:
        return signature
    if _cache is None:
        return repr(record)
    table = _cache.setdefault("record_repr", {})
    found = table.get(id(record))
    if found is None or found[0] is not record:
        found = table[id(record)] = (record, repr(record))
    return found[1]


def digest(values):
    """A record's signature: a short digest of the plain values it is made of (pages join many of them).

    The values are the database's own (text, numbers, None), so marshal gives their bytes, twice as
    fast as repr; version 2 writes no back-references, so equal values give equal bytes whichever
    objects hold them. Values marshal does not know (dates from another database's driver) go
    through repr.
    """
    try:
        data = marshal.dumps(values, 2)
    except ValueError:
        data = repr(values).encode("utf-8")
    return "<%s>" % hashlib.blake2b(data, digest_size=16).hexdigest()


def cached(key, factory):
    """factory() worked out once per key inside build_cache(), every time outside it."""
    if _cache is None:
        return factory()
    if key not in _cache:
        _cache[key] = factory()
    return _cache[key]


def memoized(function):
    """`function(*args)` worked out once per arguments inside build_cache(), every time outside it."""
    @functools.wraps(function)
    def wrapper(*args):
        return cached((function.__name__, *args), lambda: function(*args))
    return wrapper
