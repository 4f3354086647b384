"""Control API under /_sandbox/ (JSON, no auth) for tests and demos."""

import json

from . import signing
from .messages import json_response
from .params import pairs_to_multi, parse_pairs

FAIL_MODES = ("status", "malformed", "drop", "slow", "truncate")


def _err(status, msg):
    return json_response(status, {"ok": False, "error": msg})


def _body(req):
    if not req.body.strip():
        return {}
    obj = json.loads(req.body.decode("utf-8"))
    if not isinstance(obj, dict):
        raise ValueError("JSON object expected")
    return obj


def handle(store, req):
    name = req.path[len("/_sandbox/"):].strip("/")
    m = req.method
    try:
        body = _body(req) if m in ("POST", "PUT") else {}
    except ValueError as e:
        return _err(400, "invalid JSON: %s" % e)
    q = dict(parse_pairs(req.query))

    if name == "decide" and m == "POST":
        status = body.get("status")
        if status not in ("approved", "denied"):
            return _err(400, "status must be approved or denied")
        code = store.decide(str(body.get("id")), status,
                            callback=body.get("callback", True) not in
                            (False, 0, "0", "false"))
        return _result(code)
    if name == "expire" and m == "POST":
        return _result(store.expire(str(body.get("id"))))
    if name == "fail" and m == "POST":
        return fail(store, body)
    if name == "fail" and m == "GET":
        with store.lock:
            return json_response(200, list(store.fail_rules))
    if name == "calls":
        if m == "GET":
            with store.lock:
                calls = list(store.calls)
            return json_response(200, calls)
        if m == "DELETE":
            with store.lock:
                store.calls = []
            return json_response(200, {"ok": True})
    if name == "callbacks":
        if m == "GET":
            with store.lock:
                return json_response(200, list(store.callbacks))
        if m == "DELETE":
            with store.lock:
                store.callbacks = []
            return json_response(200, {"ok": True})
    if name == "approvals" and m == "GET":
        return json_response(200, store.approval_list(
            identity=q.get("identity"), provider=q.get("provider")))
    if name == "entities" and m == "POST":
        ident = body.get("identity")
        fs = body.get("factor_status", "verified")
        if not isinstance(ident, str) or not ident:
            return _err(400, "identity required")
        if fs not in ("verified", "unverified", "none"):
            return _err(400, "factor_status must be verified, unverified or none")
        ent, f = store.add_entity(ident, fs)
        store.persist()
        return json_response(200, {"ok": True, "identity": ident,
                                   "entity_sid": ent["sid"],
                                   "factor_sid": f["sid"] if f else None})
    if name == "authy/users" and m == "POST":
        uid = body.get("id")
        if uid is not None and not str(uid).isdigit():
            return _err(400, "id must be a positive integer")
        u = store.add_authy_user(int(uid) if uid is not None else None,
                                 email=body.get("email"),
                                 cellphone=body.get("cellphone"),
                                 country_code=body.get("country_code", "1"))
        store.persist()
        return json_response(200, {"ok": True, "id": u["id"]})
    if name == "reset" and m == "POST":
        store.clear()
        store.persist()
        return json_response(200, {"ok": True})
    if name == "auto" and m == "POST":
        status = body.get("status", "none")
        if status not in ("approved", "denied", "none", None):
            return _err(400, "status must be approved, denied or none")
        try:
            delay = float(body.get("delay", 0.05))
        except (TypeError, ValueError):
            return _err(400, "delay must be a number")
        with store.lock:
            store.auto = None if status in ("none", None) else (status, delay)
        return json_response(200, {"ok": True})
    if name == "sign" and m == "POST":
        return sign(store, body)
    if name == "config":
        if m == "POST":
            with store.lock:
                for k in ("verify_callback_url", "authy_callback_url"):
                    if k in body:
                        setattr(store, k, body[k] or None)
                if "authy_callback_method" in body:
                    meth = str(body["authy_callback_method"]).upper()
                    if meth not in ("GET", "POST"):
                        return _err(400, "authy_callback_method: GET or POST")
                    store.authy_callback_method = meth
        with store.lock:
            return json_response(200, {
                "ok": True,
                "verify_callback_url": store.verify_callback_url,
                "authy_callback_url": store.authy_callback_url,
                "authy_callback_method": store.authy_callback_method,
                "account_sid": store.account_sid,
                "verify_service": store.verify_service,
                "api_key_sid": store.api_key_sid})
    return _err(404, "unknown control endpoint %s %s" % (m, req.path))


def _result(code):
    if code == 200:
        return json_response(200, {"ok": True})
    if code == 404:
        return _err(404, "unknown approval")
    return _err(409, "already decided or expired")


def fail(store, body):
    mode = body.get("mode", "status")
    if mode not in FAIL_MODES:
        return _err(400, "mode must be one of " + ", ".join(FAIL_MODES))
    try:
        rule = {"count": int(body.get("count", 1)), "mode": mode,
                "status": int(body.get("status", 500)),
                "delay": float(body.get("delay", 2.0)),
                # other modes may wait first, to let requests pile up
                "wait": float(body.get("delay", 0)) if mode != "slow" else 0}
    except (TypeError, ValueError):
        return _err(400, "count, status and delay must be numbers")
    for k in ("path", "method", "body"):
        if body.get(k) is not None:
            rule[k] = str(body[k])
    with store.lock:
        if rule["count"] > 0:
            store.fail_rules.append(rule)
    return json_response(200, {"ok": True})


def sign(store, body):
    provider = body.get("provider")
    url = body.get("url")
    if not isinstance(url, str):
        return _err(400, "url required")
    if provider == "verify":
        key = body.get("key") or store.auth_token
        params = body.get("params") or {}
        if isinstance(params, list):           # [[name, value], ...]
            params = pairs_to_multi(params)
        if not params and isinstance(body.get("body"), str):
            params = pairs_to_multi(parse_pairs(body["body"]))
        sig = signing.twilio_signature(key, url, params)
        return json_response(200, {"signature": sig})
    if provider == "authy":
        key = body.get("key") or store.authy_api_key
        nonce = str(body.get("nonce", ""))
        method = str(body.get("method", "POST")).upper()
        if isinstance(body.get("body"), (dict, list)):
            pairs = signing.flatten(body["body"])
        elif isinstance(body.get("body"), str):
            try:
                pairs = signing.flatten(json.loads(body["body"]))
            except ValueError:
                return _err(400, "body is not JSON")
        else:
            params = body.get("params") or {}
            pairs = []
            for k, vs in params.items():
                for v in (vs if isinstance(vs, list) else [vs]):
                    pairs.append((k, str(v)))
        sig, data = signing.authy_signature(key, nonce, method, url, pairs)
        return json_response(200, {"signature": sig, "data": data,
                                   "canonical": data.split("|", 3)[3]})
    return _err(400, "provider must be verify or authy")
