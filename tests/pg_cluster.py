"""A throw-away PostgreSQL cluster in a temporary folder on 127.0.0.1, for the PostgreSQL pass of the tests.

initdb refuses to run as root, so as root the server runs as the `postgres` account that Debian's
package creates (through runuser); otherwise as the current user.

Each test gets the demo database as it was loaded: `Snapshot` keeps every table's rows (COPY, binary)
and every sequence's position, and puts them back before a test in one transaction (about a tenth
of a second, where a copy of a template database took half a second). A test that changed the
schema itself (the table set or a column) gets a new database copied from the template instead.
"""
import glob
import os
import shutil
import socket
import subprocess

import psycopg


def tool(name):
    """The path of one of PostgreSQL's programs (Debian keeps them per version, off the PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/%s" % name))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise RuntimeError("PostgreSQL's %s is not installed (Debian package postgresql)" % name)
    return path


class Cluster:
    def __init__(self, folder):
        self.folder = os.path.abspath(folder)
        self.data = os.path.join(self.folder, "data")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.as_postgres = os.geteuid() == 0

    def _run(self, *command):
        if self.as_postgres:
            command = ("runuser", "-u", "postgres", "--") + command
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self, durable=False):
        """initdb and start; durability off unless `durable` (a benchmark measures the server's defaults)."""
        if self.as_postgres:
            shutil.chown(self.folder, "postgres")
        self._run(tool("initdb"), "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--locale=C.UTF-8")
        # Durability off: a test cluster is thrown away (these settings are never for real data).
        fast = "" if durable else "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        self._run(tool("pg_ctl"), "-D", self.data, "-l", os.path.join(self.folder, "log"), "-w", "-o",
                  "-p %d -k %s -c listen_addresses=127.0.0.1 %s-c max_connections=200"
                  % (self.port, self.folder, fast), "start")

    def url(self, name):
        return "postgresql://postgres@127.0.0.1:%d/%s" % (self.port, name)

    def _admin(self, sql):
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(sql)

    def create(self, name, template=None):
        self._admin('CREATE DATABASE "%s"%s' % (name, ' TEMPLATE "%s" STRATEGY FILE_COPY' % template
                                                 if template else ""))

    def drop(self, name):
        self._admin('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)

    def stop(self):
        self._run(tool("pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


_SCHEMA = """SELECT string_agg(table_name || '.' || column_name || ':' || data_type, ',' ORDER BY table_name,
                                  column_name) FROM information_schema.columns WHERE table_schema = 'public'"""


class Snapshot:
    """The rows of a database's tables and its sequences' positions, put back on `restore()`."""

    def __init__(self, cluster, name, template):
        self.cluster, self.name, self.template = cluster, name, template
        cluster.create(name, template=template)
        with psycopg.connect(cluster.url(name)) as connection:
            self.schema = connection.execute(_SCHEMA).fetchone()[0]
            self.tables = [t for (t,) in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
            self.rows = {}
            for table in self.tables:
                with connection.cursor().copy('COPY "%s" TO STDOUT (FORMAT binary)' % table) as copy:
                    self.rows[table] = b"".join(bytes(block) for block in copy)
            self.sequences = connection.execute(
                "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'").fetchall()

    @property
    def url(self):
        return self.cluster.url(self.name)

    def restore(self):
        """Put the rows back; connections a previous test left open are ended first (they may hold locks)."""
        with psycopg.connect(self.cluster.url("postgres"), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                          "AND pid <> pg_backend_pid()", (self.name,))
        with psycopg.connect(self.url) as connection:
            if connection.execute(_SCHEMA).fetchone()[0] != self.schema:
                connection.close()
                self.cluster.drop(self.name)
                self.cluster.create(self.name, template=self.template)
                return
            # Replica mode: no foreign-key triggers while the tables are emptied and filled in any order.
            connection.execute("SET session_replication_role = replica")
            for table in self.tables:
                connection.execute('DELETE FROM "%s"' % table)
                with connection.cursor().copy('COPY "%s" FROM STDIN (FORMAT binary)' % table) as copy:
                    copy.write(self.rows[table])
            for sequence, value in self.sequences:
                connection.execute("SELECT setval(%s, %s, %s)", ('"%s"' % sequence, value or 1, value is not None))
