"""The place's Ed25519 key and the checkpoints it signs: the access log's head at a position, in a fixed text
that partners can check with the public key alone."""

from __future__ import annotations

import os
import tempfile
from hashlib import sha256
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from wholeplace.core.errors import ConfigurationError

KEY_FILE = "keys/audit_ed25519.pem"
CHECKPOINT_FORMAT = "wholeplace access-log checkpoint v1"


def place_key(data_dir: Path) -> Ed25519PrivateKey:
    """The place's signing key, kept in the data directory (made on first use, readable by its owner only)."""
    path = data_dir / KEY_FILE
    try:
        if not path.exists():
            _create_key(path)
        return _read_key(path)
    except OSError as error:
        raise ConfigurationError(
            f"Cannot read or create the access-log signing key {path}: {error.strerror}.",
            fix="Check that WHOLEPLACE_DATA_DIR is writable and the key file readable by this user.",
        ) from error


def place_public_keys(data_dir: Path) -> dict[str, Ed25519PublicKey]:
    """The public keys this place's checkpoints may carry, by key id; none before the first checkpoint."""
    if not (data_dir / KEY_FILE).exists():
        return {}
    public_key = place_key(data_dir).public_key()
    return {key_id(public_key): public_key}


def _create_key(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    descriptor, draft = tempfile.mkstemp(dir=path.parent, prefix=".audit_ed25519-")  # made with mode 0600
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        # a hard link appears whole or not at all, and never replaces a key another process made first
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        Path(draft).unlink()


def _read_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(
            f"{path} holds a key that is not an Ed25519 key.",
            fix="Restore the place's access-log key from a backup.",
        )
    return key


def key_id(public_key: Ed25519PublicKey) -> str:
    """SHA-256, in hex, of the raw 32 bytes of a public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return sha256(raw).hexdigest()


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_public_key_pem(text: str) -> Ed25519PublicKey:
    """A public key from PEM text; ValueError if it is not an Ed25519 public key."""
    try:
        key = serialization.load_pem_public_key(text.encode("ascii"))
    except UnsupportedAlgorithm as error:
        raise ValueError(f"the public key is of a kind this system cannot read: {error}") from error
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the public key is not an Ed25519 key")
    return key


def checkpoint_message(position: int, head_hash: str, signed_at: str) -> bytes:
    """The bytes a checkpoint signs: four lines of UTF-8 (ASCII for every genuine checkpoint), each ending in a
    line feed.

        wholeplace access-log checkpoint v1
        position: 1000
        head: <the entry hash at that position, 64 hex digits>
        signed-at: 2026-11-30T14:50:00.123456Z
    """
    lines = (CHECKPOINT_FORMAT, f"position: {position}", f"head: {head_hash}", f"signed-at: {signed_at}")
    return "".join(f"{line}\n" for line in lines).encode("utf-8")


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    """The signature, in hex (128 digits)."""
    return key.sign(message).hex()


def signature_is_valid(public_key: Ed25519PublicKey, message: bytes, signature: str) -> bool:
    try:
        public_key.verify(bytes.fromhex(signature), message)
    except (InvalidSignature, ValueError):
        return False
    return True
