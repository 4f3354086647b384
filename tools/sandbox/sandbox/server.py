"""HTTP server: routing, call log, failure injection, start-up."""

import argparse
import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import authy_api, control, phone, verify_api
from .messages import Request, Response, json_response
from .params import json_to_pairs, pairs_to_multi, parse_json, parse_pairs
from .state import Store

MAX_BODY = 1 << 20


def call_params(req):
    pairs = list(parse_pairs(req.query))
    body = req.body or b""
    if body.strip():
        if req.content_type == "application/json" or \
                (req.content_type != "application/x-www-form-urlencoded"
                 and body.lstrip()[:1] in (b"{", b"[")):
            try:
                pairs += json_to_pairs(parse_json(body))
            except ValueError:
                pass
        else:
            pairs += parse_pairs(body)
    return pairs_to_multi(pairs)


def provider_of(path):
    return "verify" if path.startswith("/v2/") or path == "/v2" else "authy"


def failure_body(rule, path):
    if rule.get("body") is not None:
        return rule["body"]
    st = rule["status"]
    if provider_of(path) == "verify":
        codes = {401: 20003, 403: 20003, 404: 20404, 429: 20429}
        msgs = {401: "Authenticate", 429: "Too Many Requests",
                500: "Internal Server Error", 503: "Service Unavailable"}
        code = codes.get(st, 20000 + st if st >= 500 else 60200)
        return json.dumps({"code": code,
                           "message": msgs.get(st, "Sandbox failure"),
                           "more_info": "https://www.twilio.com/docs/errors/%d"
                           % code, "status": st})
    codes = {401: "60001", 404: "60000", 429: "60003"}
    msg = {401: "Invalid API key", 429: "Too many requests",
           503: "Service unavailable"}.get(st, "Internal error")
    return json.dumps({"message": msg, "success": False,
                       "errors": {"message": msg},
                       "error_code": codes.get(st, "60000")})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    wbufsize = 1 << 16          # one write per response (flushed below)
    server_version = "push-approval-sandbox/1.0"
    store = None  # set by make_server

    def log_message(self, fmt, *args):
        if os.environ.get("SANDBOX_VERBOSE"):
            sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))

    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            out = b""
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline(65537)
                if len(out) > MAX_BODY:
                    raise ValueError("body too large")
        n = int(self.headers.get("Content-Length") or 0)
        if n < 0 or n > MAX_BODY:
            raise ValueError("bad Content-Length")
        return self.rfile.read(n) if n else b""

    def _send(self, resp, truncate=False):
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        for k, v in resp.headers.items():
            self.send_header(k, v)
        if truncate or self.close_connection:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command == "HEAD":
            return
        self.wfile.write(resp.body[:len(resp.body) // 2] if truncate
                         else resp.body)
        self.wfile.flush()

    def _handle(self):
        store = self.store
        u = urllib.parse.urlsplit(self.path)
        path, query = u.path or "/", u.query
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self._send(Response(400, "bad request body\n", "text/plain"))
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        host = headers.get("host") or "%s:%d" % self.server.server_address[:2]
        req = Request(self.command, path, query, headers, body,
                      "http://" + host)
        if path.startswith("/_sandbox/"):
            resp = control.handle(store, req)
            return self._send(resp)
        if path == "/phone" or path.startswith("/phone/"):
            return self._send(phone.handle(store, req))
        if path in ("/", "/favicon.ico"):
            return self._send(Response(200 if path == "/" else 404,
                                       "push-approval-sandbox: see /phone\n",
                                       "text/plain; charset=utf-8"))
        # ---- provider API call -------------------------------------------
        rule = store.take_fail_rule(self.command, path)
        store.log_call({
            "method": self.command, "path": path, "query": query,
            "headers": headers, "params": call_params(req),
            "body": body.decode("utf-8", "replace"), "time": time.time(),
            "failed": rule["mode"] if rule else None})
        mode = rule["mode"] if rule else None
        if rule and rule.get("wait"):
            time.sleep(rule["wait"])
        if mode == "drop":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if mode == "status":
            return self._send(Response(rule["status"],
                                       failure_body(rule, path),
                                       "application/json; charset=utf-8"))
        if mode == "malformed":
            st = 201 if (provider_of(path) == "verify" and
                         self.command == "POST") else 200
            b = rule.get("body")
            if b is None:
                b = '{"sid": "YC' if provider_of(path) == "verify" \
                    else '{"approval_request": {"uuid": '
            return self._send(Response(st, b,
                                       "application/json; charset=utf-8"))
        if mode == "slow":
            time.sleep(rule["delay"])
        if path.startswith("/v2/") or path == "/v2":
            resp = verify_api.handle(store, req)
        elif path.startswith("/protected/") or path.startswith("/onetouch/"):
            resp = authy_api.handle(store, req)
        else:
            resp = json_response(404, {"message": "Not found"})
        self._send(resp, truncate=(mode == "truncate"))

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_GET


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="push-approval-sandbox",
        description="Local Twilio Verify Push / Authy OneTouch sandbox")
    ap.add_argument("--listen", default="127.0.0.1:8765")
    ap.add_argument("--port-file")
    ap.add_argument("--state-dir")
    ap.add_argument("--authy-api-key", default="sandbox-authy-api-key-0123456789ab")
    ap.add_argument("--account-sid", default="AC" + "a" * 32)
    ap.add_argument("--auth-token", default="sandbox-auth-token-0123456789abcdef")
    ap.add_argument("--api-key-sid")
    ap.add_argument("--api-key-secret")
    ap.add_argument("--verify-service", default="VA" + "b" * 32)
    ap.add_argument("--verify-callback-url")
    ap.add_argument("--authy-callback-url")
    ap.add_argument("--authy-callback-method", choices=("POST", "GET"),
                    default="POST")
    ap.add_argument("--seed", action="store_true")
    return ap.parse_args(argv)


def seed(store):
    store.add_entity("alice-0001", "verified")
    store.add_entity("bob-00002", "unverified")
    store.add_authy_user(1234567, email="alice@example.org",
                         cellphone="5551234567", country_code="1")
    store.persist()


def write_port_file(path, port):
    d = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(d, ".%s.%d.tmp" % (os.path.basename(path), os.getpid()))
    with open(tmp, "w") as fh:
        fh.write("%d\n" % port)
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    host, _, port = args.listen.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    store = Store(args)
    store.authy_callback_method = args.authy_callback_method
    if args.seed:
        seed(store)
    handler = type("BoundHandler", (Handler,), {"store": store})
    if ":" in host:
        Server.address_family = socket.AF_INET6
    httpd = Server((host, int(port)), handler)
    real_port = httpd.server_address[1]
    shown = "[%s]" % host if ":" in host else host
    base = "http://%s:%d" % (shown, real_port)
    store.base_url = base
    # a plain flag: a handler that took a lock (Event.set) could run while
    # the main thread holds that very lock inside Event.wait, and hang
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(a[0]))
    signal.signal(signal.SIGINT, lambda *a: stop.append(a[0]))
    t = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2},
                         daemon=True)
    t.start()
    print("push-approval-sandbox listening on %s" % base)
    print("  Verify API:  %s/v2/Services/%s  (Basic %s:%s)"
          % (base, store.verify_service, store.account_sid, store.auth_token))
    print("  Authy API:   %s  (X-Authy-API-Key: %s)" % (base, store.authy_api_key))
    print("  phone page:  %s/phone" % base)
    print("  control API: %s/_sandbox/" % base)
    sys.stdout.flush()
    if args.port_file:
        write_port_file(args.port_file, real_port)
    while not stop:
        time.sleep(0.2)
    httpd.shutdown()
    httpd.server_close()
    print("push-approval-sandbox stopped")
    sys.stdout.flush()
    return 0
