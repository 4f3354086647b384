"""Twilio Verify Push v2 API (README.md, Sources)."""

import base64
import calendar
import datetime
import hmac
import hashlib
import json
import re
import time

from .messages import Response, json_response
from .params import parse_pairs, pairs_to_multi
from .state import Approval, iso, sid

IDENTITY_RE = re.compile(r"\A[A-Za-z0-9-]{8,64}\Z")
MAX_EXPIRY = 3600
# access tokens: Ttl 60..300 s, default 60 (twilio-oai CreateAccessToken)
TOKEN_TTL = 60
TOKEN_TTL_MAX = 300
DEFAULT_EXPIRY = 300


def error(status, code, message):
    return json_response(status, {
        "code": code, "message": message,
        "more_info": "https://www.twilio.com/docs/errors/%d" % code,
        "status": status})


def auth_error():
    return error(401, 20003, "Authenticate")


def not_found(path):
    p = path[3:] if path.startswith("/v2") else path
    return error(404, 20404, "The requested resource %s was not found" % p)


def invalid(param, why=None):
    msg = "Invalid parameter: %s" % param
    if why:
        msg += " (%s)" % why
    return error(400, 60200, msg)


def _basic(req):
    h = req.header("authorization") or ""
    if not h.lower().startswith("basic "):
        return None
    try:
        raw = base64.b64decode(h[6:].strip(), validate=True).decode("utf-8")
    except Exception:
        return None
    if ":" not in raw:
        return None
    return tuple(raw.split(":", 1))


def account_auth(store, req):
    cred = _basic(req)
    if cred is None:
        return False
    user, pw = cred
    ok = False
    if hmac.compare_digest(user, store.account_sid) and \
            hmac.compare_digest(pw, store.auth_token):
        ok = True
    if store.api_key_sid and store.api_key_secret and \
            hmac.compare_digest(user, store.api_key_sid) and \
            hmac.compare_digest(pw, store.api_key_secret):
        ok = True
    return ok


def token_auth(store, req, identity):
    """Phone-app (SDK) authentication with an access token:
    Basic base64("token:JWT") or Bearer JWT."""
    h = req.header("authorization") or ""
    jwt = None
    if h.lower().startswith("bearer "):
        jwt = h[7:].strip()
    else:
        cred = _basic(req)
        if cred and cred[0] == "token":
            jwt = cred[1]
    if not jwt:
        return False
    with store.lock:
        t = store.access_tokens.get(jwt)
    return bool(t and t["identity"] == identity and t["exp"] > time.time())


def _b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


def make_jwt(store, identity, ttl, friendly):
    now = int(time.time())
    header = {"cty": "twilio-fpa;v=1", "typ": "JWT", "alg": "HS256",
              "kid": store.api_key_sid or store.account_sid}
    payload = {"jti": "%s-%d" % (store.api_key_sid or store.account_sid, now),
               "iss": store.api_key_sid or store.account_sid,
               "sub": store.account_sid, "iat": now, "exp": now + ttl,
               "grants": {"verify": {"identity": identity, "factor": "push",
                                     "service_sid": store.verify_service,
                                     "friendly_name": friendly}}}
    signing = _b64url(json.dumps(header, separators=(",", ":")).encode()) + \
        "." + _b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = hmac.new(store.auth_token.encode(), signing.encode(),
                   hashlib.sha256).digest()
    return signing + "." + _b64url(sig)


def parse_date(s):
    s = s.strip()
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ"):
        try:
            return calendar.timegm(time.strptime(s, fmt)) + \
                (float("0." + s.split(".")[1][:-1]) if "." in s else 0)
        except ValueError:
            pass
    try:
        d = datetime.datetime.fromisoformat(s)
    except ValueError:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return d.timestamp()


# ---- JSON shapes -----------------------------------------------------------

def svc_url(store, base):
    return "%s/v2/Services/%s" % (base, store.verify_service)


def factor_json(store, base, f, with_binding=False):
    url = "%s/Entities/%s/Factors/%s" % (svc_url(store, base), f["identity"],
                                         f["sid"])
    j = {"sid": f["sid"], "account_sid": store.account_sid,
         "service_sid": store.verify_service, "entity_sid": f["entity_sid"],
         "identity": f["identity"], "date_created": iso(f["created"]),
         "date_updated": iso(f["updated"]),
         "friendly_name": f["friendly_name"], "status": f["status"],
         "factor_type": "push", "config": dict(f["config"]),
         "metadata": f["metadata"], "url": url}
    if with_binding:
        j["binding"] = dict(f["binding"])
    return j


def entity_json(store, base, ent):
    url = "%s/Entities/%s" % (svc_url(store, base), ent["identity"])
    return {"sid": ent["sid"], "identity": ent["identity"],
            "account_sid": store.account_sid,
            "service_sid": store.verify_service,
            "date_created": iso(ent["created"]),
            "date_updated": iso(ent["updated"]), "url": url,
            "links": {"factors": url + "/Factors",
                      "challenges": url + "/Challenges",
                      "new_factors": url + "/NewFactors"}}


def challenge_json(store, base, a):
    a.refresh()
    url = "%s/Entities/%s/Challenges/%s" % (svc_url(store, base), a.identity,
                                            a.id)
    responded = a.decided if a.status in ("approved", "denied") else None
    return {"sid": a.id, "account_sid": store.account_sid,
            "service_sid": store.verify_service,
            "entity_sid": a.extra["entity_sid"], "identity": a.identity,
            "factor_sid": a.extra["factor_sid"],
            "date_created": iso(a.created), "date_updated": iso(a.updated),
            "date_responded": iso(responded),
            "expiration_date": iso(a.expires), "status": a.status,
            "responded_reason": "none",
            "details": {"message": a.message, "date": iso(a.created),
                        "fields": a.details},
            "hidden_details": a.hidden_details or None,
            "metadata": None, "factor_type": "push", "url": url,
            "links": {"notifications": url + "/Notifications"}}


def meta(url, key, n):
    page = url + "?PageSize=50&Page=0"
    return {"page": 0, "page_size": 50, "first_page_url": page,
            "previous_page_url": None, "url": page, "next_page_url": None,
            "key": key}


# ---- handlers ---------------------------------------------------------------

def handle(store, req):
    parts = [p for p in req.path.split("/") if p]
    # parts[0] == "v2"
    if len(parts) < 3 or parts[1] != "Services":
        return not_found(req.path)
    rest = parts[3:]
    identity = rest[1] if len(rest) >= 2 and rest[0] == "Entities" else None
    is_factor_call = (identity is not None and len(rest) in (3, 4)
                      and rest[2] == "Factors" and req.method == "POST")
    authed = account_auth(store, req)
    if not authed and not (is_factor_call and
                           token_auth(store, req, identity)):
        return auth_error()
    if parts[2] != store.verify_service:
        return not_found(req.path)
    if req.method == "POST":
        params = pairs_to_multi(parse_pairs(req.body))
    else:
        params = pairs_to_multi(parse_pairs(req.query))
    base = req.base_url
    m, n = req.method, len(rest)

    if rest == ["AccessTokens"] and m == "POST":
        return create_access_token(store, base, params)
    if n >= 1 and rest[0] == "Entities":
        if n == 1 and m == "POST":
            ident = _one(params, "Identity")
            if not ident or not IDENTITY_RE.match(ident):
                return invalid("Identity")
            with store.lock:
                if ident in store.entities:
                    return error(409, 60360, "Entity already exists")
                ent = store.ensure_entity(ident)
            return json_response(201, entity_json(store, base, ent))
        with store.lock:
            ent = store.entities.get(identity) if identity else None
        if n == 2 and m == "GET":
            if not ent:
                return not_found(req.path)
            return json_response(200, entity_json(store, base, ent))
        if n >= 3 and rest[2] == "Factors":
            if n == 3 and m == "GET":
                if not ent:
                    return not_found(req.path)
                return list_factors(store, base, ent)
            if n == 3 and m == "POST":
                return create_factor(store, base, identity, params)
            if n == 4 and m == "GET":
                f = store.factors.get(rest[3])
                if not ent or not f or f["identity"] != identity:
                    return not_found(req.path)
                return json_response(200, factor_json(store, base, f))
            if n == 4 and m == "POST":
                return verify_factor(store, base, req, identity, rest[3],
                                     params)
            if n == 4 and m == "DELETE":
                # DeleteFactor (twilio-oai): 204, the factor is gone
                with store.lock:
                    f = store.factors.get(rest[3])
                    if not ent or not f or f["identity"] != identity:
                        return not_found(req.path)
                    del store.factors[rest[3]]
                    if rest[3] in ent["factors"]:
                        ent["factors"].remove(rest[3])
                return Response(204)
        if n >= 3 and rest[2] == "Challenges":
            if not ent:
                return not_found(req.path)
            if n == 3 and m == "POST":
                return create_challenge(store, base, ent, params)
            if n == 3 and m == "GET":
                with store.lock:
                    lst = [challenge_json(store, base, a)
                           for a in (store.approvals[i] for i in store.order)
                           if a.provider == "verify" and a.identity == identity]
                url = "%s/Entities/%s/Challenges" % (svc_url(store, base),
                                                     identity)
                return json_response(200, {"challenges": lst,
                                           "meta": meta(url, "challenges",
                                                        len(lst))})
            if n == 4 and m == "GET":
                with store.lock:
                    a = store.approvals.get(rest[3])
                if not a or a.provider != "verify" or a.identity != identity:
                    return not_found(req.path)
                return json_response(200, challenge_json(store, base, a))
    return not_found(req.path)


def _one(params, name):
    v = params.get(name)
    return v[-1] if v else None


def create_access_token(store, base, params):
    ident = _one(params, "Identity")
    if not ident or not IDENTITY_RE.match(ident):
        return invalid("Identity")
    ftype = _one(params, "FactorType")
    if ftype != "push":
        return invalid("FactorType")
    ttl = _one(params, "Ttl")
    if ttl is None or ttl == "":
        ttl = TOKEN_TTL
    else:
        try:
            ttl = int(ttl)
        except ValueError:
            return invalid("Ttl")
        if not TOKEN_TTL <= ttl <= TOKEN_TTL_MAX:
            return invalid("Ttl", "must be between 60 and 300")
    friendly = _one(params, "FactorFriendlyName")
    jwt = make_jwt(store, ident, ttl, friendly)
    ysid = sid("YK")
    now = time.time()
    with store.lock:
        store.access_tokens[jwt] = {"sid": ysid, "identity": ident,
                                    "exp": now + ttl}
    return json_response(201, {
        "sid": ysid, "account_sid": store.account_sid,
        "service_sid": store.verify_service, "entity_identity": ident,
        "factor_type": "push", "factor_friendly_name": friendly,
        "token": jwt, "url": "%s/AccessTokens/%s" % (svc_url(store, base), ysid),
        "ttl": ttl, "date_created": iso(now)})


def list_factors(store, base, ent):
    with store.lock:
        fs = [factor_json(store, base, store.factors[s]) for s in ent["factors"]
              if s in store.factors]
    url = "%s/Entities/%s/Factors" % (svc_url(store, base), ent["identity"])
    return json_response(200, {"factors": fs,
                               "meta": meta(url, "factors", len(fs))})


def create_factor(store, base, identity, params):
    if not IDENTITY_RE.match(identity):
        return invalid("Identity")
    fname = _one(params, "FriendlyName")
    if not fname or len(fname) > 64:
        return invalid("FriendlyName")
    if _one(params, "FactorType") != "push":
        return invalid("FactorType")
    pub = _one(params, "Binding.PublicKey")
    if not pub:
        return invalid("Binding.PublicKey")
    alg = _one(params, "Binding.Alg") or "ES256"
    app_id = _one(params, "Config.AppId")
    if not app_id:
        return invalid("Config.AppId")
    platform = _one(params, "Config.NotificationPlatform")
    if platform not in ("apn", "fcm", "none"):
        return invalid("Config.NotificationPlatform")
    token = _one(params, "Config.NotificationToken")
    if platform != "none" and not token:
        return invalid("Config.NotificationToken")
    metadata = _one(params, "Metadata")
    if metadata is not None:
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return invalid("Metadata")
    f = store.add_factor(identity, friendly_name=fname, status="unverified",
                         platform=platform, app_id=app_id, public_key=pub,
                         token=token, alg=alg,
                         sdk_version=_one(params, "Config.SdkVersion"),
                         metadata=metadata)
    store.persist()
    return json_response(201, factor_json(store, base, f, with_binding=True))


def verify_factor(store, base, req, identity, fsid, params):
    with store.lock:
        f = store.factors.get(fsid)
        if not f or f["identity"] != identity:
            return not_found(req.path)
        payload = _one(params, "AuthPayload")
        if payload is not None:
            if payload == "":
                return error(403, 60311, "Factor verification failed")
            f["status"] = "verified"
        fn = _one(params, "FriendlyName")
        if fn:
            f["friendly_name"] = fn
        tok = _one(params, "Config.NotificationToken")
        if tok:
            f["config"]["notification_token"] = tok
        f["updated"] = time.time()
        j = factor_json(store, base, f)
    store.persist()
    return json_response(200, j)


def create_challenge(store, base, ent, params):
    fsid = _one(params, "FactorSid")
    if not fsid:
        return invalid("FactorSid", "required")
    if not re.match(r"\AYF[0-9a-fA-F]{32}\Z", fsid):
        return invalid("FactorSid")
    with store.lock:
        f = store.factors.get(fsid)
    if not f or f["identity"] != ent["identity"]:
        return error(404, 20404, "The requested resource /Services/%s/Entities"
                     "/%s/Factors/%s was not found"
                     % (store.verify_service, ent["identity"], fsid))
    if f["status"] != "verified":
        return error(403, 60318, "Factor is unverified")
    msg = _one(params, "Details.Message")
    if msg is None or msg == "":
        return invalid("Details.Message", "required")
    if len(msg) > 256:
        return invalid("Details.Message", "at most 256 characters")
    fields = []
    raw_fields = params.get("Details.Fields", [])
    if len(raw_fields) > 20:
        return invalid("Details.Fields", "at most 20 fields")
    for rf in raw_fields:
        try:
            o = json.loads(rf)
        except ValueError:
            return invalid("Details.Fields", "not JSON")
        if not isinstance(o, dict) or not isinstance(o.get("label"), str) \
                or not isinstance(o.get("value"), str) or not o["label"]:
            return invalid("Details.Fields", "needs label and value")
        if len(o["label"]) > 36:
            return invalid("Details.Fields", "label at most 36 characters")
        if len(o["value"]) > 128:
            return invalid("Details.Fields", "value at most 128 characters")
        fields.append({"label": o["label"], "value": o["value"]})
    hidden = _one(params, "HiddenDetails")
    hidden_obj = None
    if hidden is not None:
        if len(hidden) > 1024:
            return invalid("HiddenDetails", "at most 1024 characters")
        try:
            hidden_obj = json.loads(hidden)
        except ValueError:
            return invalid("HiddenDetails", "not JSON")
        if not isinstance(hidden_obj, dict):
            return invalid("HiddenDetails", "not a JSON object")
    now = time.time()
    exp = _one(params, "ExpirationDate")
    if exp is None or exp == "":
        expires = float(int(now) + DEFAULT_EXPIRY)
    else:
        expires = parse_date(exp)
        if expires is None:
            return invalid("ExpirationDate")
        if expires <= now:
            return invalid("ExpirationDate", "must be in the future")
        if expires > now + MAX_EXPIRY + 1:
            return invalid("ExpirationDate", "at most 60 minutes")
    a = Approval("verify", sid("YC"), ent["identity"], msg, fields,
                 hidden_obj, expires, factor_sid=fsid,
                 entity_sid=ent["sid"], factor_friendly_name=f["friendly_name"])
    store.add_approval(a)
    return json_response(201, challenge_json(store, base, a))
