"""A throw-away PostgreSQL cluster in a temporary folder on 127.0.0.1, for the PostgreSQL pass of the tests.

initdb refuses to run as root, so as root the server runs as the `postgres` account that Debian's
package creates (through runuser); otherwise as the current user.
"""
import glob
import os
import shutil
import socket
import subprocess

import psycopg


def _bin(name):
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

    def start(self):
        if self.as_postgres:
            shutil.chown(self.folder, "postgres")
        self._run(_bin("initdb"), "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--locale=C.UTF-8")
        # Durability off: a test cluster is thrown away (these settings are never for real data).
        self._run(_bin("pg_ctl"), "-D", self.data, "-l", os.path.join(self.folder, "log"), "-w", "-o",
                  "-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
                  "-c full_page_writes=off -c max_connections=200" % (self.port, self.folder), "start")

    def url(self, name):
        return "postgresql://postgres@127.0.0.1:%d/%s" % (self.port, name)

    def _admin(self, sql):
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(sql)

    def create(self, name, template=None):
        self._admin('CREATE DATABASE "%s"%s' % (name, ' TEMPLATE "%s"' % template if template else ""))

    def drop(self, name):
        self._admin('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)

    def stop(self):
        self._run(_bin("pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)
