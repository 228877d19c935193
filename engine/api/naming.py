"""Names Kubernetes generates: pod-template-hash, generateName suffixes, UIDs.

The alphabet and encoding are Kubernetes' own (`k8s.io/apimachinery/pkg/util/rand`), so a
name svcflow invents looks like one a real cluster would print.
"""
from __future__ import annotations

import json
import random

# rand.alphanums in apimachinery: no vowels, no 0/1/3, to avoid bad words and confusion.
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
MAX_GENERATED_PREFIX = 58  # generateName prefixes are cut so name+5 fits in 63


def safe_encode(s: str) -> str:
    """rand.SafeEncodeString: each byte indexes the alphabet modulo its length."""
    return "".join(SAFE_ALPHABET[ord(c) % len(SAFE_ALPHABET)] for c in s)


FNV32_OFFSET = 0x811C9DC5


def fnv1a_32(data: bytes, h: int = FNV32_OFFSET) -> int:
    """FNV-1a, 32 bits; pass the previous value as `h` to continue a running hash."""
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def fnv1_32(data: bytes, h: int = FNV32_OFFSET) -> int:
    """FNV-1 (Go's fnv.New32: multiply, then xor), 32 bits."""
    for b in data:
        h = (h * 0x01000193) & 0xFFFFFFFF
        h ^= b
    return h


def go_json(value: object) -> bytes:
    """encoding/json.Marshal of a map[string]interface{}: keys sorted, compact, and the
    HTML-safe escapes Go writes (<, >, & and U+2028/U+2029 as \\u00XX)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text.encode()


def pod_template_hash(template: dict, collision_count: int | None = None) -> str:
    """controller.ComputeHash: FNV-1a over a canonical dump of the template, printed in
    decimal and safe-encoded. Go dumps the struct with spew; we dump canonical JSON (sorted
    keys), which keeps the property that matters: same template, same hash."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    h = fnv1a_32(data)
    if collision_count is not None:
        h = fnv1a_32((collision_count & 0xFFFFFFFF).to_bytes(4, "little") + b"\0" * 4, h)
    return safe_encode(str(h))


def random_suffix(rng: random.Random, n: int = 5) -> str:
    """The 5 characters the API server appends to a generateName."""
    return "".join(rng.choice(SAFE_ALPHABET) for _ in range(n))


def generate_name(prefix: str, rng: random.Random) -> str:
    return prefix[:MAX_GENERATED_PREFIX] + random_suffix(rng)


def new_uid(rng: random.Random) -> str:
    """A version-4 UUID drawn from the cluster's generator (seeded in deterministic mode)."""
    b = bytearray(rng.getrandbits(8) for _ in range(16))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
