"""An SFTP server in process (asyncssh's own), for the local stack and the tests.

It serves one directory as the root of a chrooted SFTP session, to one user with a password
and/or an authorized public key, under a host key the client pins. :class:`Faults` lets a test
cut a transfer short, drop the connection part-way (once) or answer reads short, to exercise
resume, truncation and read-ahead.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncssh
import msgspec


class Faults:
    """Faults keyed by file name: a read past ``n`` bytes of that file..."""

    def __init__(self) -> None:
        self.truncate_after: dict[str, int] = {}
        """...returns end-of-file (the file seems cut short) until the entry is removed."""
        self.disconnect_after: dict[str, int] = {}
        """...drops the whole SSH connection (the network failed mid-transfer), once."""
        self.short_reads: dict[str, int] = {}
        """...answers at most ``n`` bytes (a server with a smaller limit than it advertises)."""
        self.reads: dict[str, int] = {}
        """Bytes served per file name (what a resumed download really fetched)."""


class _FaultySftpServer(asyncssh.SFTPServer):
    faults: Faults

    def __init__(self, chan: asyncssh.SSHServerChannel[Any], root: Path, faults: Faults) -> None:
        super().__init__(chan, chroot=str(root).encode())
        self.faults = faults
        self._names: dict[int, str] = {}

    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        handle = super().open(path, pflags, attrs)
        self._names[id(handle)] = Path(path.decode()).name
        return handle

    def read(self, file_obj: object, offset: int, size: int) -> bytes:
        name = self._names.get(id(file_obj), "")
        faults = self.faults
        limit = faults.truncate_after.get(name)
        if limit is not None and offset + size > limit:
            size = max(0, limit - offset)
            if size == 0:
                return b""
        size = min(size, faults.short_reads.get(name, size))
        drop = faults.disconnect_after.get(name)
        if drop is not None and offset + size > drop:
            del faults.disconnect_after[name]
            self.connection.abort()
            return b""
        data = super().read(file_obj, offset, size)
        assert isinstance(data, bytes)  # the default server reads local files synchronously
        faults.reads[name] = faults.reads.get(name, 0) + len(data)
        return data


class _Auth(asyncssh.SSHServer):
    def __init__(self, username: str, password: str | None) -> None:
        self._username = username
        self._password = password

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return self._password is not None

    def validate_password(self, username: str, password: str) -> bool:
        return username == self._username and password == self._password


class SftpServerHandle(msgspec.Struct, kw_only=True):
    host: str
    port: int
    host_key: str
    """The public host key, OpenSSH form: what clients pin."""
    root: str
    username: str
    password: str | None
    acceptor: Any
    faults: Any

    async def close(self) -> None:
        self.acceptor.close()
        await self.acceptor.wait_closed()


def generate_host_key() -> asyncssh.SSHKey:
    return asyncssh.generate_private_key("ssh-ed25519")


def load_or_create_host_key(path: Path) -> asyncssh.SSHKey:
    """A host key kept on disk, so the local stack's key (and the pin) survive restarts."""
    if path.exists():
        return asyncssh.read_private_key(str(path))
    key = generate_host_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    key.write_private_key(str(path))
    path.chmod(0o600)
    return key


def public_key_line(key: asyncssh.SSHKey) -> str:
    return key.export_public_key("openssh").decode().strip()


def _prepare_root(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    return root.resolve()


async def start_sftp_server(
    root: Path,
    *,
    host_key: asyncssh.SSHKey,
    username: str,
    password: str | None = None,
    authorized_keys: str | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> SftpServerHandle:
    """Serve ``root`` over SFTP; ``port=0`` picks a free port (read it from the handle)."""
    root = await asyncio.to_thread(_prepare_root, root)
    faults = Faults()
    options: dict[str, Any] = {}
    if authorized_keys is not None:
        options["authorized_client_keys"] = asyncssh.import_authorized_keys(authorized_keys)
    acceptor = await asyncssh.create_server(
        lambda: _Auth(username, password),
        host,
        port,
        server_host_keys=[host_key],
        sftp_factory=lambda chan: _FaultySftpServer(chan, root, faults),
        allow_scp=False,
        encryption_algs=[
            "aes128-gcm@openssh.com",
            "aes256-gcm@openssh.com",
            "chacha20-poly1305@openssh.com",
            "aes128-ctr",
            "aes256-ctr",
        ],
        **options,
    )
    bound = acceptor.get_port()
    return SftpServerHandle(
        host=host,
        port=int(bound),
        host_key=public_key_line(host_key),
        root=str(root),
        username=username,
        password=password,
        acceptor=acceptor,
        faults=faults,
    )


async def serve_forever(handle: SftpServerHandle) -> None:
    try:
        await asyncio.Event().wait()
    finally:
        await handle.close()
