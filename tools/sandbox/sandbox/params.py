"""Request parameter decoding: form / query / JSON, flat and nested."""

import json
import re
import urllib.parse


def parse_pairs(text):
    """Decode application/x-www-form-urlencoded (or a query string)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return urllib.parse.parse_qsl(text, keep_blank_values=True)


def pairs_to_multi(pairs):
    out = {}
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return out


def json_to_pairs(value, prefix=None, out=None):
    """Flatten JSON as form-style names (a[b], a[][b], a[]) so that the same
    request sent as JSON, form or query logs the same parameters."""
    if out is None:
        out = []
    if isinstance(value, dict):
        for k, v in value.items():
            json_to_pairs(v, k if prefix is None else "%s[%s]" % (prefix, k), out)
    elif isinstance(value, list):
        for v in value:
            json_to_pairs(v, "%s[]" % prefix, out)
    else:
        if value is None:
            s = ""
        elif value is True:
            s = "true"
        elif value is False:
            s = "false"
        else:
            s = str(value)
        out.append((prefix if prefix is not None else "", s))
    return out


class ParamError(ValueError):
    pass


_HEAD = re.compile(r"\A[\[\]]*([^\[\]]+)\]*")
_ARR_CHILD = re.compile(r"\A\[\]\[([^\[\]]+)\]\Z")
_ARR_REST = re.compile(r"\A\[\](.+)\Z")


def _normalize(params, name, value):
    m = _HEAD.match(name)
    if not m:
        return
    key = m.group(1)
    after = name[m.end():]
    if after == "":
        params[key] = value
    elif after == "[]":
        lst = params.setdefault(key, [])
        if not isinstance(lst, list):
            raise ParamError("expected array for %s" % key)
        lst.append(value)
    else:
        m2 = _ARR_CHILD.match(after) or _ARR_REST.match(after)
        if m2:
            child = m2.group(1)
            lst = params.setdefault(key, [])
            if not isinstance(lst, list):
                raise ParamError("expected array for %s" % key)
            child_head = _HEAD.match(child)
            ck = child_head.group(1) if child_head else child
            if lst and isinstance(lst[-1], dict) and ck not in lst[-1]:
                _normalize(lst[-1], child, value)
            else:
                d = {}
                _normalize(d, child, value)
                lst.append(d)
        else:
            sub = params.setdefault(key, {})
            if not isinstance(sub, dict):
                raise ParamError("expected object for %s" % key)
            _normalize(sub, after, value)


def _listify(obj):
    if isinstance(obj, dict):
        obj = {k: _listify(v) for k, v in obj.items()}
        if obj and all(k.isdigit() for k in obj):
            return [obj[k] for k in sorted(obj, key=int)]
        return obj
    if isinstance(obj, list):
        return [_listify(v) for v in obj]
    return obj


def nest(pairs):
    """Rack/Rails-style nested decoding: details[K]=v, logos[][res]=..."""
    params = {}
    for k, v in pairs:
        _normalize(params, k, v)
    return _listify(params)


def parse_json(body):
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    return json.loads(body)
