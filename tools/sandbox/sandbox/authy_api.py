"""Authy OneTouch API (README.md, Sources)."""

import hmac
import json
import re
import secrets
import time
import uuid

from .messages import json_response
from .params import ParamError, nest, parse_json, parse_pairs
from .state import Approval, iso

LOGO_RES = ("default", "low", "med", "high")
MAX_MESSAGE = 144
# "details: ... key at most 20 characters" (Authy OneTouch API docs)
MAX_DETAIL_KEY = 20
DEFAULT_EXPIRY = 86400


def error(status, code, message, **extra):
    body = {"message": message, "success": False,
            "errors": {"message": message}, "error_code": code}
    body.update(extra)
    return json_response(status, body)


def auth_error():
    return error(401, "60001", "Invalid API key")


def invalid(message):
    return error(400, "60004", message)


def user_not_found():
    return error(404, "60026", "User not found")


def approval_not_found():
    return error(404, "60049", "Approval request not found")


def not_found():
    return error(404, "60000", "Resource not found")


def decode_params(req):
    """Query string, form body and JSON body are all equivalent; body
    values win over query values. Raises ParamError/ValueError."""
    params = nest(parse_pairs(req.query))
    body = req.body or b""
    if body.strip():
        ct = req.content_type
        if ct == "application/json" or (ct != "application/x-www-form-urlencoded"
                                        and body.lstrip()[:1] in (b"{", b"[")):
            obj = parse_json(body)
            if not isinstance(obj, dict):
                raise ParamError("JSON body must be an object")
        else:
            obj = nest(parse_pairs(body))
        params.update(obj)
    return params


def _check_key(store, req, params):
    key = req.header("x-authy-api-key")
    if key is None:
        key = params.get("api_key")
    return isinstance(key, str) and hmac.compare_digest(key, store.authy_api_key)


def _scalar(v):
    if v is None:
        return ""
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (dict, list)):
        raise ParamError("nested value")
    return str(v)


def handle(store, req):
    try:
        params = decode_params(req)
    except (ParamError, ValueError):
        if not _check_key(store, req, {}):
            return auth_error()
        return invalid("Invalid request body")
    if not _check_key(store, req, params):
        return auth_error()
    parts = [p for p in req.path.split("/") if p]
    if parts and parts[-1].endswith(".json"):
        parts[-1] = parts[-1][:-5]
    m = req.method
    if parts[:2] == ["protected", "json"]:
        rest = parts[2:]
        if rest == ["users", "new"] and m == "POST":
            return register_user(store, params)
        if len(rest) == 3 and rest[0] == "users" and rest[2] == "status" \
                and m == "GET":
            return user_status(store, rest[1])
        if len(rest) == 3 and rest[0] == "users" and rest[2] == "remove" \
                and m == "POST":
            return remove_user(store, rest[1])
        if rest == ["sdk", "registrations"] and m == "POST":
            return sdk_registration(store, params)
        if rest == ["app", "details"] and m == "GET":
            return json_response(200, {"app": {"name": "Sandbox",
                                               "app_id": 1, "plan": "sandbox",
                                               "sms_enabled": False,
                                               "onetouch_enabled": True},
                                       "message": "Application information.",
                                       "success": True})
    if parts[:2] == ["onetouch", "json"]:
        rest = parts[2:]
        if len(rest) == 3 and rest[0] == "users" and \
                rest[2] == "approval_requests" and m == "POST":
            return create_approval(store, req, rest[1], params)
        if len(rest) == 2 and rest[0] == "approval_requests" and m == "GET":
            return approval_status(store, rest[1])
    return not_found()


def _user(store, uid):
    if not re.match(r"\A[0-9]{1,18}\Z", str(uid)):
        return None
    with store.lock:
        return store.authy_users.get(int(uid))


def register_user(store, params):
    user = params.get("user")
    if not isinstance(user, dict):
        user = {}
    email = user.get("email")
    phone = user.get("cellphone")
    cc = user.get("country_code")
    errs = {}
    if not isinstance(email, str) or "@" not in email:
        errs["email"] = "is invalid"
    if not isinstance(phone, (str, int)) or \
            not re.match(r"\A[0-9 ().-]{6,20}\Z", str(phone)):
        errs["cellphone"] = "is invalid"
    if not isinstance(cc, (str, int)) or not re.match(r"\A\+?[0-9]{1,4}\Z",
                                                      str(cc)):
        errs["country_code"] = "is invalid"
    if errs:
        body = {"message": "User was not valid", "success": False,
                "errors": dict({"message": "User was not valid"}, **errs),
                "error_code": "60027"}
        body.update(errs)
        return json_response(400, body)
    digits = re.sub(r"[^0-9]", "", str(phone))
    cc = str(cc).lstrip("+")
    with store.lock:
        for u in store.authy_users.values():
            if u["cellphone"] == digits and u["country_code"] == cc:
                uid = u["id"]
                break
        else:
            uid = store.add_authy_user(email=email, cellphone=digits,
                                       country_code=cc)["id"]
    store.persist()
    return json_response(200, {"message": "User created successfully.",
                               "user": {"id": uid}, "success": True})


def user_status(store, uid):
    u = _user(store, uid)
    if not u:
        return user_not_found()
    phone = u["cellphone"]
    masked = "XXX-XXX-" + phone[-4:]
    return json_response(200, {"status": {
        "authy_id": u["id"], "confirmed": True, "registered": True,
        "country_code": int(u["country_code"]) if u["country_code"].isdigit()
        else u["country_code"],
        "phone_number": masked, "email": u["email"], "devices": ["android"],
        "has_hard_token": False, "account_disabled": False,
        "detailed_devices": [{"device_type": "authy", "os": "Android",
                              "registration_date": int(u["created"])}]},
        "message": "User status.", "success": True})


def remove_user(store, uid):
    u = _user(store, uid)
    if not u:
        return user_not_found()
    with store.lock:
        store.authy_users.pop(u["id"], None)
    return json_response(200, {"message": "User removed from application",
                               "success": True})


def sdk_registration(store, params):
    # authy_id, as Twilio's own SDK backend (authy-sdk-backend, backend.rb)
    # sends it; the answer's documented field is registration_token only
    uid = params.get("authy_id")
    if uid is None or uid == "":
        return invalid("authy_id is required")
    if not _user(store, uid):
        return user_not_found()
    return json_response(200, {"registration_token": secrets.token_urlsafe(24)})


def create_approval(store, req, uid, params):
    u = _user(store, uid)
    if not u:
        return user_not_found()
    msg = params.get("message")
    if not isinstance(msg, str) or msg == "":
        return invalid("message is required")
    if len(msg) > MAX_MESSAGE:
        return invalid("message is too long (at most %d characters)"
                       % MAX_MESSAGE)
    try:
        det = params.get("details") or {}
        if not isinstance(det, dict):
            return invalid("details must be a hash")
        details = [{"label": str(k), "value": _scalar(v)} for k, v in det.items()]
        for d in details:
            if len(d["label"]) > MAX_DETAIL_KEY:
                return invalid("details keys are at most %d characters"
                               % MAX_DETAIL_KEY)
        hid = params.get("hidden_details") or {}
        if not isinstance(hid, dict):
            return invalid("hidden_details must be a hash")
        hidden = {str(k): _scalar(v) for k, v in hid.items()}
    except ParamError:
        return invalid("details values must be strings")
    logos = params.get("logos")
    if logos in (None, "", []):
        logos = []
    if not isinstance(logos, list):
        return invalid("logos must be an array")
    for lg in logos:
        if not isinstance(lg, dict) or lg.get("res") not in LOGO_RES or \
                not isinstance(lg.get("url"), str) or not lg["url"]:
            return invalid("logos must have res (default, low, med, high) "
                           "and url")
    logos = [{"res": lg["res"], "url": lg["url"]} for lg in logos]
    ste = params.get("seconds_to_expire")
    if ste is None or ste == "":
        ste = DEFAULT_EXPIRY
    else:
        try:
            if isinstance(ste, bool) or isinstance(ste, float):
                raise ValueError
            ste = int(str(ste))
            if ste < 0:
                raise ValueError
        except ValueError:
            return invalid("seconds_to_expire must be a non-negative integer")
    now = time.time()
    a = Approval("authy", str(uuid.uuid4()), str(u["id"]), msg, details,
                 hidden, now + ste if ste else None, logos=logos,
                 seconds_to_expire=ste, authy_id=u["id"],
                 object_id=secrets.token_hex(12),
                 device_uuid=u["device_uuid"])
    store.add_approval(a)
    return json_response(200, {"approval_request": {"uuid": a.id},
                               "success": True})


def approval_json(store, a):
    a.refresh()
    processed = a.decided if a.status in ("approved", "denied") else None
    return {"_app_name": "Sandbox", "_app_serial_id": 1,
            "_authy_id": a.extra["authy_id"], "_id": a.extra["object_id"],
            "_user_email": None, "app_id": store.authy_app_id,
            "created_at": iso(a.created), "notified": False,
            "processed_at": iso(processed),
            "seconds_to_expire": a.extra["seconds_to_expire"],
            "status": a.status, "updated_at": iso(a.updated),
            "user_id": a.extra["object_id"][::-1], "uuid": a.id,
            "message": a.message,
            "details": {d["label"]: d["value"] for d in a.details},
            "hidden_details": a.hidden_details,
            "logos": a.extra.get("logos") or None,
            "device_details": {}, "device_geolocation": "",
            "device_signing_time": 0, "encrypted": False, "flagged": False,
            "reason": "", "requester_details": None, "signed": False}


def approval_status(store, ident):
    with store.lock:
        a = store.approvals.get(ident)
        if not a or a.provider != "authy":
            return approval_not_found()
        j = approval_json(store, a)
    return json_response(200, {"approval_request": j, "success": True})
