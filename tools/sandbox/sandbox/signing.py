"""Webhook signature algorithms (README.md, Sources: X-Twilio-Signature and
X-Authy-Signature)."""

import base64
import hashlib
import hmac
import json
import re


def twilio_signature(token, url, params):
    """params: dict name -> list of values (or a single string)."""
    data = url
    for name in sorted(params, key=lambda s: s.encode("utf-8")):
        vals = params[name]
        if not isinstance(vals, (list, tuple)):
            vals = [vals]
        # a repeated value counts once (twilio-python, twilio-node)
        for v in sorted(set(str(x) for x in vals),
                        key=lambda s: s.encode("utf-8")):
            data += name + v
    mac = hmac.new(token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


def _scalar(v):
    if v is None:
        return ""
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def flatten(value, prefix=None, out=None, indexes=True):
    """Flatten a JSON value as parent[child] / parent[i] pairs (parent[]
    without indexes).

    Empty objects and arrays are dropped; null becomes an empty string."""
    if out is None:
        out = []
    if isinstance(value, dict):
        for k, v in value.items():
            flatten(v, k if prefix is None else "%s[%s]" % (prefix, k), out,
                    indexes)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            flatten(v, "%s[%s]" % (prefix, i if indexes else ""), out,
                    indexes)
    else:
        out.append((prefix, _scalar(value)))
    return out


_SAFE = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def authy_escape(s):
    res = []
    for b in s.encode("utf-8"):
        if b in _SAFE:
            res.append(chr(b))
        elif b == 0x20:
            res.append("+")
        else:
            res.append("%%%02X" % b)
    return "".join(res)


_INDEX = re.compile(r"%5B[0-9]+%5D")


def authy_canonical_params(pairs):
    items = sorted((authy_escape(k) + "=" + authy_escape(v) for k, v in pairs),
                   key=lambda s: s.encode("utf-8"))
    return _INDEX.sub("%5B%5D", "&".join(items))


def authy_signature(key, nonce, method, url, pairs):
    """pairs: flattened (key, value) list. Returns (signature, data string)."""
    url = url.split("?", 1)[0]
    data = "%s|%s|%s|%s" % (nonce, method.upper(), url,
                            authy_canonical_params(pairs))
    mac = hmac.new(key.encode("utf-8"), data.encode("utf-8"), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode("ascii"), data


def authy_signature_json(key, nonce, method, url, body):
    obj = json.loads(body) if isinstance(body, (str, bytes)) else body
    return authy_signature(key, nonce, method, url, flatten(obj))
