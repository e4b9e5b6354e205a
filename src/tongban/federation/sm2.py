"""国密SM2签名 (GB/T 32918) with SM3 digests, through the system OpenSSL 3 ``libcrypto`` via ctypes.

Why ctypes and not a wheel: ``cryptography`` has no SM2, and the SM2 packages on PyPI were rejected
(see STACK.md). OpenSSL 3 ships SM2/SM3 in its default provider, so a thin binding over the EVP API is
all that is needed, and its signatures interoperate with the ``openssl`` CLI and other GM/T tools.

Signatures are DER-encoded ``SEQUENCE { r INTEGER, s INTEGER }`` over ``SM3(Z || data)`` where Z binds
the signer's public key and distinguishing identifier (default ``1234567812345678``).

Thread safety: the only module-level state is the loaded library and its function prototypes. Every
operation builds and frees its own OpenSSL contexts, and OpenSSL's error queue is per thread. Key
objects are immutable once made, so one key may sign or verify from several threads at once.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import hashlib
from typing import Any, Literal, NoReturn

__all__ = ["USER_ID", "PrivateKey", "PublicKey", "SM2Error", "sm3"]

USER_ID = b"1234567812345678"  # GB/T 32918 / GM/T 0009 default distinguishing identifier

# Z starts with ENTL, the identifier's length in *bits* as two bytes, so the standard allows up to 8191
# bytes; OpenSSL 3.0 checks `len >= 65535 / 8` and so stops at 8190 (with the opaque "SM2 routines::
# reason(111)"). Check here, at OpenSSL's limit, to give a clear message instead.
_MAX_USER_ID = 8190

_OPENSSL_3 = 0x30000000

# Private-key encryption for to_pem(); both are PBES2 (PBKDF2) ciphers OpenSSL can read back.
Cipher = Literal["aes-256-cbc", "sm4-cbc"]
_CIPHERS: frozenset[str] = frozenset({"aes-256-cbc", "sm4-cbc"})


class SM2Error(Exception):
    """A key that cannot be read or is not an SM2 key, or a failure inside OpenSSL."""


_P = ctypes.c_void_p
# pem_password_cb(char *buf, int size, int rwflag, void *userdata) -> int
_PASSWORD_CB = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_void_p)

# Every function we call, with its prototype: without argtypes ctypes passes Python ints as C int and
# truncates 64-bit pointers; without restype it reads returned pointers as C int.
_PROTOTYPES: dict[str, tuple[Any, list[Any]]] = {
    "ERR_get_error": (ctypes.c_ulong, []),
    "ERR_error_string_n": (None, [ctypes.c_ulong, ctypes.c_char_p, ctypes.c_size_t]),
    "ERR_clear_error": (None, []),
    "BIO_s_mem": (_P, []),
    "BIO_new": (_P, [_P]),
    "BIO_new_mem_buf": (_P, [ctypes.c_char_p, ctypes.c_int]),
    "BIO_free": (ctypes.c_int, [_P]),
    "BIO_ctrl_pending": (ctypes.c_size_t, [_P]),
    "BIO_read": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_int]),
    "PEM_read_bio_PUBKEY": (_P, [_P, _P, _P, _P]),  # no callback: public keys are never encrypted
    "PEM_write_bio_PUBKEY": (ctypes.c_int, [_P, _P]),
    "PEM_read_bio_PrivateKey": (_P, [_P, _P, _PASSWORD_CB, _P]),
    "PEM_write_bio_PKCS8PrivateKey": (
        ctypes.c_int,
        [_P, _P, _P, ctypes.c_char_p, ctypes.c_int, _P, _P],  # the password goes in kstr, not a callback
    ),
    "i2d_PUBKEY_bio": (ctypes.c_int, [_P, _P]),
    "d2i_PUBKEY_bio": (_P, [_P, _P]),
    "EVP_PKEY_free": (None, [_P]),
    "EVP_PKEY_is_a": (ctypes.c_int, [_P, ctypes.c_char_p]),
    "EVP_PKEY_get0_type_name": (ctypes.c_char_p, [_P]),
    "EVP_PKEY_get_size": (ctypes.c_int, [_P]),
    "EVP_PKEY_CTX_new": (_P, [_P, _P]),
    "EVP_PKEY_CTX_new_from_name": (_P, [_P, ctypes.c_char_p, ctypes.c_char_p]),
    "EVP_PKEY_CTX_free": (None, [_P]),
    "EVP_PKEY_CTX_set1_id": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_int]),
    "EVP_PKEY_keygen_init": (ctypes.c_int, [_P]),
    "EVP_PKEY_generate": (ctypes.c_int, [_P, ctypes.POINTER(_P)]),
    "EVP_MD_CTX_new": (_P, []),
    "EVP_MD_CTX_free": (None, [_P]),
    "EVP_MD_CTX_set_pkey_ctx": (None, [_P, _P]),
    "EVP_sm3": (_P, []),
    "EVP_get_cipherbyname": (_P, [ctypes.c_char_p]),
    "EVP_DigestSignInit": (ctypes.c_int, [_P, _P, _P, _P, _P]),
    "EVP_DigestSign": (
        ctypes.c_int,
        [_P, ctypes.c_char_p, ctypes.POINTER(ctypes.c_size_t), ctypes.c_char_p, ctypes.c_size_t],
    ),
    "EVP_DigestVerifyInit": (ctypes.c_int, [_P, _P, _P, _P, _P]),
    "EVP_DigestVerify": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]),
}

# find_library needs ldconfig (or a compiler) to answer; slim images may lack both, so also try the sonames.
_FALLBACK_NAMES = ("libcrypto.so.3", "libcrypto.3.dylib")


@functools.cache
def _lib() -> ctypes.CDLL:
    """Load libcrypto once, on first use, so importing this module never fails on a machine without it."""
    names = [n for n in (ctypes.util.find_library("crypto"), *_FALLBACK_NAMES) if n]
    lib = None
    for name in names:
        try:
            lib = ctypes.CDLL(name)
            break
        except OSError:
            continue
    if lib is None:
        raise SM2Error(f"OpenSSL libcrypto not found (tried {', '.join(names)}); SM2 needs OpenSSL 3")
    # Check the version before declaring prototypes: OpenSSL 1.1 lacks several 3.0 symbols and would
    # fail with a confusing AttributeError instead.
    try:
        version_num = lib.OpenSSL_version_num
    except AttributeError:
        raise SM2Error(f"{lib._name} is older than OpenSSL 1.1; SM2 needs OpenSSL 3") from None
    version_num.restype = ctypes.c_ulong
    version_num.argtypes = []
    version = version_num()
    if version < _OPENSSL_3:
        raise SM2Error(
            f"{lib._name} is OpenSSL {version >> 28}.{(version >> 20) & 0xFF}.{(version >> 4) & 0xFF}; "
            "SM2 signing needs OpenSSL 3 (the EVP SM2 key type and distinguishing-identifier support)"
        )
    for name, (restype, argtypes) in _PROTOTYPES.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    return lib


def _raise(what: str) -> NoReturn:
    """Raise SM2Error with OpenSSL's own reasons, emptying this thread's error queue."""
    lib = _lib()
    reasons: list[str] = []
    while code := lib.ERR_get_error():
        buf = ctypes.create_string_buffer(256)
        lib.ERR_error_string_n(code, buf, len(buf))
        reason = buf.value.decode("ascii", "replace")
        # OpenSSL 3's decoders try several formats and queue one error per attempt; keep the message short.
        if reason not in reasons and len(reasons) < 4:
            reasons.append(reason)
    lib.ERR_clear_error()
    raise SM2Error(f"{what}: {'; '.join(reasons)}" if reasons else what)


def _as_bytes(value: bytes | bytearray | memoryview, name: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    raise TypeError(f"{name} must be bytes, not {type(value).__name__}")


def _pem_bytes(pem: bytes | str) -> bytes:
    if isinstance(pem, str):
        return pem.encode("ascii", "replace")  # PEM is ASCII; stray characters then fail as bad PEM
    return _as_bytes(pem, "pem")


def _user_id(user_id: bytes) -> bytes:
    user_id = _as_bytes(user_id, "user_id")
    if not user_id:
        # An empty identifier (ENTL = 0) is what `openssl pkeyutl` uses when -pkeyopt distid is left out;
        # it is well defined, but almost always a mistake for the GM/T 0009 default, and signatures made
        # with it fail at every partner using the default. Refuse it rather than sign with it silently.
        raise ValueError("user_id must not be empty")
    if len(user_id) > _MAX_USER_ID:
        raise ValueError(f"user_id is {len(user_id)} bytes; SM2 allows at most {_MAX_USER_ID}")
    return user_id


def _read_bio(bio: int) -> bytes:
    size = _lib().BIO_ctrl_pending(bio)
    buf = ctypes.create_string_buffer(size)
    got = _lib().BIO_read(bio, buf, size) if size else 0
    return buf.raw[: max(got, 0)]


def _new_mem_bio() -> int:
    lib = _lib()
    bio = lib.BIO_new(lib.BIO_s_mem())
    if not bio:
        _raise("BIO_new failed")
    return bio


def _require_sm2(pkey: int, what: str) -> int:
    """Return pkey if it is an SM2 key; otherwise free it and raise."""
    lib = _lib()
    # OpenSSL 3 decodes id-ecPublicKey with the SM2 curve (1.2.156.10197.1.301) as key type "SM2";
    # any other EC curve, RSA, Ed25519 and so on are refused so they can never enter a trust list.
    if lib.EVP_PKEY_is_a(pkey, b"SM2") == 1:
        return pkey
    kind = (lib.EVP_PKEY_get0_type_name(pkey) or b"unknown").decode("ascii", "replace")
    lib.EVP_PKEY_free(pkey)
    lib.ERR_clear_error()
    raise SM2Error(f"{what} is of type {kind}, not an SM2 key (curve sm2p256v1, OID 1.2.156.10197.1.301)")


class _Key:
    """Owns one EVP_PKEY; freed when the Python object goes."""

    __slots__ = ("_free", "_pkey")

    def __init__(self, pkey: int) -> None:
        # Keep a reference to the free function so __del__ still works while the interpreter shuts down
        # and module globals are already gone; set it first so __del__ never sees _pkey without it.
        self._free = _lib().EVP_PKEY_free
        self._pkey = pkey

    def __del__(self) -> None:
        pkey = getattr(self, "_pkey", None)
        if pkey:
            self._pkey = None
            self._free(pkey)

    # A shallow copy would share the EVP_PKEY and free it twice; keys are immutable, so copies are self.
    def __copy__(self) -> _Key:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _Key:
        return self

    def _sig_ctx(self, user_id: bytes, sign: bool) -> tuple[int, int]:
        """An EVP_MD_CTX ready for SM3withSM2 with the given identifier, and its EVP_PKEY_CTX (caller frees both)."""
        lib = _lib()
        mctx = lib.EVP_MD_CTX_new()
        if not mctx:
            _raise("EVP_MD_CTX_new failed")
        pctx = lib.EVP_PKEY_CTX_new(self._pkey, None)
        try:
            if not pctx:
                _raise("EVP_PKEY_CTX_new failed")
            # The identifier goes on the key context *before* the init (the order in OpenSSL's SM2(7)
            # page), so the Z value is computed with it; set_pkey_ctx makes the MD context use this pctx
            # but not own it, so the caller frees pctx after mctx.
            if lib.EVP_PKEY_CTX_set1_id(pctx, user_id, len(user_id)) <= 0:
                _raise("EVP_PKEY_CTX_set1_id failed")
            lib.EVP_MD_CTX_set_pkey_ctx(mctx, pctx)
            init = lib.EVP_DigestSignInit if sign else lib.EVP_DigestVerifyInit
            if init(mctx, None, lib.EVP_sm3(), None, self._pkey) <= 0:
                _raise("EVP_DigestSignInit failed" if sign else "EVP_DigestVerifyInit failed")
        except BaseException:
            lib.EVP_MD_CTX_free(mctx)
            if pctx:
                lib.EVP_PKEY_CTX_free(pctx)
            raise
        return mctx, pctx


def _free_sig_ctx(mctx: int, pctx: int) -> None:
    lib = _lib()
    lib.EVP_MD_CTX_free(mctx)  # first: it still points at pctx
    lib.EVP_PKEY_CTX_free(pctx)


class PublicKey(_Key):
    """An SM2 public key (SM2公钥): verifies signatures; identified in trust lists by its fingerprint."""

    __slots__ = ("_der",)

    def __init__(self, pkey: int) -> None:
        """Take ownership of an EVP_PKEY already checked to be SM2; use from_pem() instead."""
        super().__init__(pkey)
        lib = _lib()
        bio = _new_mem_bio()
        try:
            if lib.i2d_PUBKEY_bio(bio, pkey) != 1:
                _raise("cannot encode the public key")
            self._der = _read_bio(bio)  # the key never changes, so its encoding is computed once
        finally:
            lib.BIO_free(bio)

    @classmethod
    def from_pem(cls, pem: bytes | str) -> PublicKey:
        """Read a ``-----BEGIN PUBLIC KEY-----`` (SubjectPublicKeyInfo) PEM; SM2Error unless it is SM2."""
        data = _pem_bytes(pem)
        lib = _lib()
        bio = lib.BIO_new_mem_buf(data, len(data))
        if not bio:
            _raise("BIO_new_mem_buf failed")
        try:
            pkey = lib.PEM_read_bio_PUBKEY(bio, None, None, None)
        finally:
            lib.BIO_free(bio)
        if not pkey:
            _raise("cannot read the public key PEM")
        lib.ERR_clear_error()  # decoders may queue errors from formats they tried before the one that worked
        return cls(_require_sm2(pkey, "the public key"))

    def to_pem(self) -> str:
        """The SubjectPublicKeyInfo PEM, as ``openssl pkey -pubout`` writes it."""
        lib = _lib()
        bio = _new_mem_bio()
        try:
            if lib.PEM_write_bio_PUBKEY(bio, self._pkey) != 1:
                _raise("cannot write the public key PEM")
            return _read_bio(bio).decode("ascii")
        finally:
            lib.BIO_free(bio)

    def to_der(self) -> bytes:
        """The DER SubjectPublicKeyInfo (the bytes the fingerprint is taken over)."""
        return self._der

    def fingerprint(self) -> str:
        """Hex SM3 of the DER SubjectPublicKeyInfo: the key id used in trust lists."""
        return sm3(self._der).hex()

    def verify(self, data: bytes, signature: bytes, user_id: bytes = USER_ID) -> bool:
        """True only if ``signature`` is a valid DER SM2 signature over ``data`` for ``user_id``.

        Any malformed, truncated, non-DER or non-bytes signature gives False, never an exception, so
        callers can pass untrusted input straight in. A non-bytes ``data`` or ``user_id`` is a
        programming error and raises TypeError.
        """
        data = _as_bytes(data, "data")
        user_id = _as_bytes(user_id, "user_id")
        if not isinstance(signature, bytes | bytearray | memoryview):
            return False
        signature = bytes(signature)
        if not user_id or len(user_id) > _MAX_USER_ID:  # the same identifiers sign() refuses
            return False
        lib = _lib()
        try:
            mctx, pctx = self._sig_ctx(user_id, sign=False)
        except SM2Error:
            return False  # fail closed: a library failure must not read as "valid"
        try:
            # 1 = valid; 0 = wrong signature; negative = malformed signature or an error.
            result = lib.EVP_DigestVerify(mctx, signature, len(signature), data, len(data))
        finally:
            _free_sig_ctx(mctx, pctx)
        if result != 1:
            lib.ERR_clear_error()  # a failed check queues a reason; do not leave it for the next caller
        return result == 1

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PublicKey):
            return NotImplemented
        return self._der == other._der

    def __hash__(self) -> int:
        return hash(self._der)

    def __repr__(self) -> str:
        return f"<PublicKey SM2 {self.fingerprint()[:16]}>"

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (PublicKey.from_pem, (self.to_pem(),))


class PrivateKey(_Key):
    """An SM2 private key (SM2私钥): signs data; serialised as PKCS#8, optionally encrypted."""

    __slots__ = ("_key_id",)

    def key_id(self) -> str:
        """The fingerprint of the matching public key (its id in trust lists), derived once per key:
        deriving it costs about as much as a signature, and every sealed message names it."""
        try:
            return self._key_id
        except AttributeError:
            self._key_id: str = self.public_key().fingerprint()
            return self._key_id

    @classmethod
    def generate(cls) -> PrivateKey:
        """A new random key on curve sm2p256v1, from OpenSSL's CSPRNG."""
        lib = _lib()
        ctx = lib.EVP_PKEY_CTX_new_from_name(None, b"SM2", None)
        if not ctx:
            _raise("EVP_PKEY_CTX_new_from_name(SM2) failed")
        try:
            if lib.EVP_PKEY_keygen_init(ctx) <= 0:
                _raise("EVP_PKEY_keygen_init failed")
            pkey = _P()
            if lib.EVP_PKEY_generate(ctx, ctypes.byref(pkey)) <= 0 or not pkey.value:
                _raise("SM2 key generation failed")
        finally:
            lib.EVP_PKEY_CTX_free(ctx)
        return cls(pkey.value)

    @classmethod
    def from_pem(cls, pem: bytes | str, password: bytes | None = None) -> PrivateKey:
        """Read a PKCS#8 PEM (``BEGIN PRIVATE KEY`` or ``BEGIN ENCRYPTED PRIVATE KEY``); also accepts
        OpenSSL's traditional ``BEGIN EC PRIVATE KEY``. SM2Error for a wrong or missing password, or a
        key that is not SM2."""
        data = _pem_bytes(pem)
        if password is not None:
            password = _as_bytes(password, "password")

        def give_password(buf: int, size: int, rwflag: int, userdata: int) -> int:
            # Always pass a callback: with none, OpenSSL would prompt on the terminal for an encrypted
            # key and block a server process.
            if password is None or len(password) > size:
                return -1
            ctypes.memmove(buf, password, len(password))
            return len(password)

        callback = _PASSWORD_CB(give_password)  # kept alive by this frame for the duration of the call
        lib = _lib()
        bio = lib.BIO_new_mem_buf(data, len(data))
        if not bio:
            _raise("BIO_new_mem_buf failed")
        try:
            pkey = lib.PEM_read_bio_PrivateKey(bio, None, callback, None)
        finally:
            lib.BIO_free(bio)
        if not pkey:
            if password is None and b"ENCRYPTED" in data:
                lib.ERR_clear_error()
                raise SM2Error("the private key PEM is encrypted and no password was given")
            _raise("cannot read the private key PEM (wrong password, or not a PKCS#8 key)")
        lib.ERR_clear_error()
        return cls(_require_sm2(pkey, "the private key"))

    def to_pem(self, password: bytes | None = None, *, cipher: Cipher = "aes-256-cbc") -> str:
        """PKCS#8 PEM; with a password, encrypted (PBES2/PBKDF2 with ``cipher``: AES-256-CBC or SM4-CBC)."""
        lib = _lib()
        evp_cipher = None
        kstr: bytes | None = None
        if password is not None:
            kstr = _as_bytes(password, "password")
            if not kstr:
                raise ValueError("an empty password would not protect the key; pass None for a clear PEM")
            if cipher not in _CIPHERS:
                raise ValueError(f"cipher must be one of {sorted(_CIPHERS)}, not {cipher!r}")
            evp_cipher = lib.EVP_get_cipherbyname(cipher.encode("ascii"))
            if not evp_cipher:
                _raise(f"OpenSSL does not offer {cipher}")
        bio = _new_mem_bio()
        try:
            ok = lib.PEM_write_bio_PKCS8PrivateKey(
                bio, self._pkey, evp_cipher, kstr, len(kstr) if kstr else 0, None, None
            )
            if ok != 1:
                _raise("cannot write the private key PEM")
            return _read_bio(bio).decode("ascii")
        finally:
            lib.BIO_free(bio)

    def public_key(self) -> PublicKey:
        """The matching public key, as an independent object."""
        lib = _lib()
        bio = _new_mem_bio()
        try:
            if lib.i2d_PUBKEY_bio(bio, self._pkey) != 1:
                _raise("cannot encode the public key")
            pkey = lib.d2i_PUBKEY_bio(bio, None)
            if not pkey:
                _raise("cannot decode the public key")
        finally:
            lib.BIO_free(bio)
        lib.ERR_clear_error()
        return PublicKey(_require_sm2(pkey, "the public key"))

    def sign(self, data: bytes, user_id: bytes = USER_ID) -> bytes:
        """DER SM2 signature over SM3(Z(user_id, public key) || data); a fresh random k every time."""
        data = _as_bytes(data, "data")
        user_id = _user_id(user_id)
        lib = _lib()
        mctx, pctx = self._sig_ctx(user_id, sign=True)
        try:
            size = ctypes.c_size_t(lib.EVP_PKEY_get_size(self._pkey))  # the largest DER signature (72)
            buf = ctypes.create_string_buffer(size.value)
            if lib.EVP_DigestSign(mctx, buf, ctypes.byref(size), data, len(data)) != 1:
                _raise("SM2 signing failed")
            return buf.raw[: size.value]
        finally:
            _free_sig_ctx(mctx, pctx)

    def __repr__(self) -> str:
        return f"<PrivateKey SM2 for {self.public_key().fingerprint()[:16]}>"

    def __reduce__(self) -> NoReturn:
        # Pickling would put the secret in caches, queues or logs unencrypted; use to_pem(password).
        raise TypeError("PrivateKey cannot be pickled; use to_pem(password) explicitly")


def sm3(data: bytes) -> bytes:
    """SM3杂凑 (GB/T 32905) digest, 32 bytes, from Python's hashlib (backed by the same OpenSSL 3)."""
    return hashlib.new("sm3", data).digest()
