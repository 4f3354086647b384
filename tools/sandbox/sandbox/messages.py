"""Small request/response value types shared by the API modules."""

import json


class Request:
    def __init__(self, method, path, query, headers, body, base_url):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers            # lower-case name -> value
        self.body = body                  # bytes
        self.base_url = base_url          # http://host:port

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    @property
    def content_type(self):
        return (self.header("content-type") or "").split(";")[0].strip().lower()


class Response:
    def __init__(self, status, body=b"", content_type="application/json",
                 headers=None):
        self.status = status
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.body = body
        self.content_type = content_type
        self.headers = headers or {}


def json_response(status, obj, headers=None):
    return Response(status, json.dumps(obj), "application/json; charset=utf-8",
                    headers)
