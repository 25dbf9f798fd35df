#!/usr/bin/env python3
"""Writes the committed seed corpus, fuzz/corpus/<target>/<name>.

Run it again after changing the list (`python3 fuzz/make_seeds.py`); it rewrites
the valid_* and bad_* files of the four folders and leaves regress_* alone (those
are reproducers of past findings, copied from a run's artifacts). The ~200 KB
deep-nesting bodies are not here: scripts/fuzz.sh generates them into the working
corpus.

Each target's input format is described at the top of its fuzz_<target>.cpp:
  decoders  one selector digit, then the body (8: the If-Match header value)
  routes    "METHOD TARGET", optionally a newline and a body
  http      raw bytes of one connection
  jose      one selector digit, then a JWT (0), a form body (1), an Authorization
            header value (2), base64 text (3) or a PEM key (4)
"""
import base64
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
USER = "648160431147319299"
TOKEN = "648160512043417602"

# ---- bodies of the RPCs, and the known-bad bodies -------------------------------

VALID_BODIES = {
    # name: (decoder selector, body)
    "add_machine_user": ("0", b'{"userName":"deploy-bot","name":"Deploy bot","description":"CI deployments"}'),
    "add_machine_user_jwt_id": ("0", b'{"userName":"b","name":"B","accessTokenType":"ACCESS_TOKEN_TYPE_JWT","userId":"123"}'),
    "add_machine_user_proto_names": ("0", b'{"user_name":"b","name":"B","access_token_type":1,"user_id":null}'),
    "add_machine_user_empty": ("0", b""),
    "update_machine": ("1", b'{"name":"Deploy bot","description":"prod deployments","accessTokenType":"ACCESS_TOKEN_TYPE_JWT"}'),
    "update_machine_body_user_id": ("1", b'{"userId":"other","name":"N","access_token_type":0}'),
    "add_pat": ("2", b'{"expirationDate":"2027-01-01T00:00:00Z"}'),
    "add_pat_offset_fraction": ("2", b'{"expiration_date":"2030-06-30T12:00:00.123456789+02:00"}'),
    "add_pat_no_expiration": ("2", b"{}"),
    "add_org": ("3", b'{"name":"ACME"}'),
    "add_org_member": ("4", b'{"userId":"' + USER.encode() + b'","roles":["ORG_USER_MANAGER"]}'),
    "update_org_member": ("5", b'{"roles":["ORG_OWNER","ORG_USER_MANAGER"]}'),
    "add_iam_member": ("6", b'{"user_id":"' + USER.encode() + b'","roles":["IAM_OWNER"]}'),
    "update_iam_member": ("7", b'{"roles":["IAM_OWNER"]}'),
    "if_match_quoted": ("8", b'"2"'),
    "if_match_weak": ("8", b'W/"18446744073709551615"'),
    "if_match_any": ("8", b" * "),
    "if_match_overflow": ("8", b'"18446744073709551616"'),
    # 9 fills the body into every RPC's request message: the fields below are those
    # of some request (timestamps, repeated strings, enums, integers, nested messages).
    "readers_timestamp": ("9", b'{"expirationDate":"2024-07-31T12:22:58.702Z","range":{"since":"2024-07-31T12:22:58Z","until":"2024-08-01T00:00:00.5+02:00"}}'),
    "readers_list": ("9", b'{"roles":["a","b"],"event_types":["user.machine.added"],"aggregateTypes":["user"]}'),
    "readers_enum_number": ("9", b'{"accessTokenType":1}'),
    "readers_enum_name": ("9", b'{"access_token_type":"ACCESS_TOKEN_TYPE_JWT"}'),
    "readers_integers": ("9", b'{"sequence":"18446744073709551615","limit":4294967295,"asc":true,"query":{"sequence":5.0,"limit":"10","asc":false}}'),
    "readers_leap_second_year_9999": ("9", b'{"expirationDate":"9999-12-31T23:59:60-23:59"}'),
    "list_user_changes": ("a", b'{"query":{"sequence":"5","limit":10,"asc":true}}'),
    "list_events": ("b", b'{"limit":10,"asc":true,"eventTypes":["user.machine.added"],"aggregateTypes":["user"],"range":{"since":"2026-01-01T00:00:00Z","until":"2026-02-01T00:00:00Z"},"afterPosition":"5"}'),
    "list_events_from": ("b", b'{"sequence":3,"editorUserId":"' + USER.encode() + b'","aggregate_id":"' + USER.encode() + b'","resourceOwner":"1","from":"2026-01-01T00:00:00Z"}'),
    "list_events_creation_date": ("b", b'{"creationDate":"2026-01-01T00:00:00Z","after_position":7}'),
}

# (name, body): tried with AddMachineUser (0) and AddOrg (3) where it says "both".
BAD_BODIES = [
    ("nul_in_string", b'{"userName":"a\\u0000b","name":"x\\u0000"}'),
    ("nul_in_key", b'{"user\\u0000Name":"a","name":"b"}'),
    ("invalid_utf8_ff_fe_value", b'{"userName":"\xff\xfe","name":"b"}'),
    ("invalid_utf8_cesu_value", b'{"userName":"\xed\xa0\x80","name":"b"}'),
    ("invalid_utf8_overlong_value", b'{"userName":"\xc0\xaf","name":"b"}'),
    ("invalid_utf8_ff_fe_unknown_key", b'{"\xff\xfe":1,"userName":"a","name":"b"}'),
    ("invalid_utf8_cesu_unknown_key", b'{"\xed\xa0\x80":1,"userName":"a","name":"b"}'),
    ("invalid_utf8_overlong_unknown_key", b'{"\xc0\xaf":1,"userName":"a","name":"b"}'),
    ("escaped_lone_surrogate", b'{"userName":"\\ud800","name":"b"}'),
    ("huge_number_known_field", b'{"userName":1e999,"name":"b"}'),
    ("huge_negative_number_known_field", b'{"name":-1e999}'),
    ("huge_number_unknown_field", b'{"userName":"a","name":"b","x":1e999}'),
    ("huge_negative_number_unknown_field", b'{"userName":"a","name":"b","x":-1e999}'),
    ("huge_number_enum", b'{"userName":"a","name":"b","accessTokenType":1e999}'),
    ("duplicate_keys", b'{"name":"a","name":"b"}'),
    ("duplicate_json_and_proto_name", b'{"userName":"a","user_name":"b","name":"c"}'),
    ("leading_bom", b'\xef\xbb\xbf{"userName":"a","name":"b"}'),
    ("not_an_object", b'["userName"]'),
    ("truncated", b'{"userName":"a","na'),
    ("deep_unknown_field", b'{"userName":"a","name":"b","x":' + b"[" * 64 + b"]" * 64 + b"}"),
    ("deep_known_field", b'{"name":' + b"[" * 64 + b"]" * 64 + b"}"),
]

# ---- routes ------------------------------------------------------------------------

ROUTES = [
    "GET /healthz",
    "POST /management/v1/users/machine",
    f"PUT /management/v1/users/{USER}/machine",
    f"GET /management/v1/users/{USER}",
    f"DELETE /management/v1/users/{USER}",
    f"POST /management/v1/users/{USER}/_deactivate",
    f"POST /management/v1/users/{USER}/_reactivate",
    f"POST /management/v1/users/{USER}/_lock",
    f"POST /management/v1/users/{USER}/_unlock",
    f"POST /management/v1/users/{USER}/pats",
    f"DELETE /management/v1/users/{USER}/pats/{TOKEN}",
    "POST /management/v1/orgs",
    "GET /management/v1/orgs/me",
    "POST /management/v1/orgs/me/members",
    f"PUT /management/v1/orgs/me/members/{USER}",
    f"DELETE /management/v1/orgs/me/members/{USER}",
    "POST /admin/v1/members",
    f"PUT /admin/v1/members/{USER}",
    f"DELETE /admin/v1/members/{USER}",
    f"GET /users/{USER}?x=1#frag",
    f"DELETE /users/{USER}/pats/{TOKEN}",
    "PUT /members/1",
    "POST /admin/v1/events/_search",
    "POST /admin/v1/events/types/_search",
    "POST /admin/v1/aggregates/types/_search",
]

BAD_IDS = {
    "pct_nul": b"%00",
    "pct_nul_inside": b"12%0034",
    "pct_control": b"a%01%1F%7Fb",
    "raw_control": b"a\x01\x1f\x7fb",
    "pct_invalid_utf8_ff_fe": b"%FF%FE",
    "raw_invalid_utf8_ff_fe": b"\xff\xfe",
    "pct_cesu_surrogate": b"%ED%A0%80",
    "pct_overlong": b"%C0%AF",
    "pct_slash": b"a%2Fb",
    "pct_truncated": b"12%4",
    "pct_not_hex": b"%G0",
    "long_300": b"1" * 300,
    "long_300_pct": b"%41" * 300,
    "dot_dot": b"..",
}


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def http_request(method, target, body=None, headers=None, host=True, version=b"HTTP/1.1"):
    lines = [method.encode() + b" " + target + b" " + version]
    if host:
        lines.append(b"Host: localhost:8080")
    lines.append(b"Authorization: Bearer hm1Yp0token")
    for h in headers or []:
        lines.append(h)
    if body is not None:
        lines.append(b"Content-Type: application/json")
        lines.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + (body or b"")


RPC_BODIES = {
    "POST /management/v1/users/machine": VALID_BODIES["add_machine_user"][1],
    f"PUT /management/v1/users/{USER}/machine": VALID_BODIES["update_machine"][1],
    f"POST /management/v1/users/{USER}/pats": VALID_BODIES["add_pat"][1],
    "POST /management/v1/orgs": VALID_BODIES["add_org"][1],
    "POST /management/v1/orgs/me/members": VALID_BODIES["add_org_member"][1],
    f"PUT /management/v1/orgs/me/members/{USER}": VALID_BODIES["update_org_member"][1],
    "POST /admin/v1/members": VALID_BODIES["add_iam_member"][1],
    f"PUT /admin/v1/members/{USER}": VALID_BODIES["update_iam_member"][1],
    "POST /admin/v1/events/_search": VALID_BODIES["list_events"][1],
}


def slug(route):
    out = route.lower().replace(USER, "id").replace(TOKEN, "tid")
    return "".join(c if c.isalnum() else "_" for c in out).strip("_")


# ---- jose ----------------------------------------------------------------------------

# RFC 7515 Appendix A.2: an RS256 JWS that verifies with the target's fixed key.
RFC7515_JWS = (
    b"eyJhbGciOiJSUzI1NiJ9"
    b".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    b".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp"
    b"5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb"
    b"1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOY"
    b"EUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw")

# The same key as the openssl command writes it (PKIX and PKCS#1 public, PKCS#1 and PKCS#8
# private); domain/rfc7515_key_test.hpp holds the same texts.
RFC7515_PEMS = {
    "public_pkix": (
        b"-----BEGIN PUBLIC KEY-----\n"
        b"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAofgWCuLjybRlzo0tZWJj\n"
        b"NiuSfb4p4fAkd/wWJcyQoTbji9k0l8W26mPddxHmfHQp+Vaw+4qPCJrcS2mJPMEz\n"
        b"P1Pt0Bm4d4QlL+yRT+SFd2lZS+pCgNMsD1W/YpRPEwOWvG6b32690r2jZ47soMZo\n"
        b"9wGzjb/7OMg0LOL+bSf63kpaSHSXndS5z5rexMdbBYUsLA9e+KXBdQOS+UTo7WTB\n"
        b"EMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6/I5IhlJH7aGhyxX\n"
        b"FvUK+DWNmoudF8NAco9/h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXp\n"
        b"oQIDAQAB\n"
        b"-----END PUBLIC KEY-----\n"),
    "public_pkcs1": (
        b"-----BEGIN RSA PUBLIC KEY-----\n"
        b"MIIBCgKCAQEAofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd/wWJcyQoTbji9k0l8W2\n"
        b"6mPddxHmfHQp+Vaw+4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL+yRT+SFd2lZS+pCgNMs\n"
        b"D1W/YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb/7OMg0LOL+bSf63kpaSHSXndS5\n"
        b"z5rexMdbBYUsLA9e+KXBdQOS+UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxv\n"
        b"b3qCo5ZwKh9kG4LT6/I5IhlJH7aGhyxXFvUK+DWNmoudF8NAco9/h9iaGNj8q2et\n"
        b"hFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQIDAQAB\n"
        b"-----END RSA PUBLIC KEY-----\n"),
    "private_pkcs1": (
        b"-----BEGIN RSA PRIVATE KEY-----\n"
        b"MIIEowIBAAKCAQEAofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd/wWJcyQoTbji9k0\n"
        b"l8W26mPddxHmfHQp+Vaw+4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL+yRT+SFd2lZS+pC\n"
        b"gNMsD1W/YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb/7OMg0LOL+bSf63kpaSHSX\n"
        b"ndS5z5rexMdbBYUsLA9e+KXBdQOS+UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uD\n"
        b"Zlxvb3qCo5ZwKh9kG4LT6/I5IhlJH7aGhyxXFvUK+DWNmoudF8NAco9/h9iaGNj8\n"
        b"q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQIDAQABAoIBABKucaRpzQorw35S\n"
        b"bEUAVx8dYXUdZOlJcHtiWQ+dC6V8ljxAHj/PLyzTveyI5QO/xkObCyjIL303l2cf\n"
        b"UhPu2MFaJdjVzqACXuOrLot/eSFvxjvqVidTtAZExqFRJ9mylUVAoLvhowVWmC1O\n"
        b"n95fZCXxTUtxNEG1Xcc7m0rtzJKs45J+N/V9DP1edYH6USyPSWGp6wuA+KgHRnKK\n"
        b"Vf9GRx80JQY7nVNkL17eHoTWEwga+lwi0FEoW9Y7lDtWXYmKBWhUE+U8PGxlJf8f\n"
        b"40493HDw1WRQ/aSLoS4QTp3rn7gYgeHEvfJdkkf0UMhlknlo53M09EFPdadQ4TlU\n"
        b"bjqKc50CgYEA4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH/5IB3jw3bcxGn6QLvnE\n"
        b"tfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw/Py5PJdTJNPY8cQn7ouZ2KKDcmnPG\n"
        b"BY5t7yLc1QlQ5xHdwW1VhvKn+nXqhJTBgIPgtldC+KDV5z+y2XDwGUcCgYEAuQPE\n"
        b"fgmVtjL0Uyyx88GZFF1fOunH3+7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYs\n"
        b"p1ZSe7zFYHj7C6ul7TjeLQeZD/YwD66t62wDmpe/HlB+TnBA+njbglfIsRLtXlnD\n"
        b"zQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdcCgYAHAp9XcCSrn8wVkMVkKdb7\n"
        b"DOX4IKjzdahm+ctDAJN4O/y7OW5FKebvUjdAIt2GuoTZ71iTG+7F0F+lP88jtjP4\n"
        b"U4qe7VHoewl4MKOfXZKTe+YCS1XbNvfgwJ3Ltyl1OH9hWvu2yza7q+d5PCsDzqtm\n"
        b"27kxuvULVeya+TEdAB1ijQKBgQCH/3r6YrVH/uCWGy6bzV1nGNOdjKc9tmkfOJmN\n"
        b"54dxdixdpozCQ6U4OxZrsj3FcOhHBsqAHvX2uuYjagqvo3cOj1TRqNocX40omfCC\n"
        b"Mx3bD1yPPf/6TI2XECva/ggqEY2mYzmIiA5LVVmc5nrybr+lssFKneeyxN2Wq93S\n"
        b"0iJMdQKBgCGHewxzoa1r8ZMD0LETNrToK423K377UCYqXfg5XMclbrjPbEC3YI1Z\n"
        b"NqMtuhdBJqUnBi6tjKMF+34Xf0CUN8ncuXGO2CAYvO8PdyCixHX52ybaDjy1FtCE\n"
        b"6yUXjoKNXKvUm7MWGsAYH6f4IegOetN5NvmUMFStCSkh7ixZLkN1\n"
        b"-----END RSA PRIVATE KEY-----\n"),
    "private_pkcs8": (
        b"-----BEGIN PRIVATE KEY-----\n"
        b"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCh+BYK4uPJtGXO\n"
        b"jS1lYmM2K5J9vinh8CR3/BYlzJChNuOL2TSXxbbqY913EeZ8dCn5VrD7io8ImtxL\n"
        b"aYk8wTM/U+3QGbh3hCUv7JFP5IV3aVlL6kKA0ywPVb9ilE8TA5a8bpvfbr3SvaNn\n"
        b"juygxmj3AbONv/s4yDQs4v5tJ/reSlpIdJed1LnPmt7Ex1sFhSwsD174pcF1A5L5\n"
        b"ROjtZMEQxrZHYJqkeDrrnGya11UxMFBji4NmXG9veoKjlnAqH2QbgtPr8jkiGUkf\n"
        b"toaHLFcW9Qr4NY2ai50Xw0Byj3+H2JoY2PyrZ62EWQwuz3WTOTY8BwNNb2BvniHg\n"
        b"VFbK5emhAgMBAAECggEAEq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyW\n"
        b"PEAeP88vLNO97IjlA7/GQ5sLKMgvfTeXZx9SE+7YwVol2NXOoAJe46sui395IW/G\n"
        b"O+pWJ1O0BkTGoVEn2bKVRUCgu+GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzj\n"
        b"kn439X0M/V51gfpRLI9JYanrC4D4qAdGcopV/0ZHHzQlBjudU2QvXt4ehNYTCBr6\n"
        b"XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl/x/jTj3ccPDVZFD9pIuhLhBOneufuBiB\n"
        b"4cS98l2SR/RQyGWSeWjnczT0QU91p1DhOVRuOopznQKBgQDgHMQQ60imZV1URk0K\n"
        b"pLttoLhyt3SmqdEf/kgHePDdtzEafpAu+cS191R2JiuoF2yzWXnwFDcqGigp5BNr\n"
        b"0AHQfD8/Lk8l1Mk09jxxCfui5nYooNyac8YFjm3vItzVCVDnEd3BbVWG8qf6deqE\n"
        b"lMGAg+C2V0L4oNXnP7LZcPAZRwKBgQC5A8R+CZW2MvRTLLHzwZkUXV866cff7tx6\n"
        b"kqa0finGG0KgeqlaZPxgCZnFp7AeAcCMtiynVlJ7vMVgePsLq6XtON4tB5kP9jAP\n"
        b"rq3rbAOal78eUH5OcED6eNuCV8ixEu1eWcPNCS/l1OW1EnXUEoEHKl54Xrrz2uNw\n"
        b"kgMTP1FZ1wKBgAcCn1dwJKufzBWQxWQp1vsM5fggqPN1qGb5y0MAk3g7/Ls5bkUp\n"
        b"5u9SN0Ai3Ya6hNnvWJMb7sXQX6U/zyO2M/hTip7tUeh7CXgwo59dkpN75gJLVds2\n"
        b"9+DAncu3KXU4f2Fa+7bLNrur53k8KwPOq2bbuTG69QtV7Jr5MR0AHWKNAoGBAIf/\n"
        b"evpitUf+4JYbLpvNXWcY052Mpz22aR84mY3nh3F2LF2mjMJDpTg7FmuyPcVw6EcG\n"
        b"yoAe9fa65iNqCq+jdw6PVNGo2hxfjSiZ8IIzHdsPXI89//pMjZcQK9r+CCoRjaZj\n"
        b"OYiIDktVWZzmevJuv6WywUqd57LE3Zar3dLSIkx1AoGAIYd7DHOhrWvxkwPQsRM2\n"
        b"tOgrjbcrfvtQJipd+DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd/QJQ3\n"
        b"ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp/gh6A56\n"
        b"03k2+ZQwVK0JKSHuLFkuQ3U=\n"
        b"-----END PRIVATE KEY-----\n"),
}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def jwt(header, claims, signature=b"\x01" * 256):
    def part(v):
        return b64url(v if isinstance(v, bytes) else json.dumps(v, separators=(",", ":")).encode())
    return part(header) + b"." + part(claims) + b"." + b64url(signature)


ASSERTION = {"iss": USER, "sub": USER, "aud": "http://127.0.0.1:8080", "iat": 1300819000,
             "exp": 1300822600}

JOSE_VALID = {
    "jwt_rfc7515_a2": b"0" + RFC7515_JWS,
    "jwt_assertion": b"0" + jwt({"alg": "RS256", "kid": TOKEN}, ASSERTION),
    "jwt_assertion_aud_array": b"0" + jwt({"alg": "RS256", "kid": TOKEN, "typ": "JWT"},
                                          dict(ASSERTION, aud=["x", "http://127.0.0.1:8080"], nbf=1300819000, jti="j")),
    "form_client_credentials": b"1grant_type=client_credentials&scope=openid+urn%3Azitadel%3Aiam%3Aorg%3Aproject%3Aid%3Azitadel%3Aaud&client_id=deploy-bot&client_secret=abc",
    "form_jwt_bearer": b"1grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" + RFC7515_JWS,
    "form_introspect": b"1token=abc&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=" + RFC7515_JWS,
    "basic": b"2Basic " + base64.b64encode(b"deploy-bot:s3cret"),
    "basic_escaped": b"2basic  " + base64.b64encode(b"my%3Abot:a%2Bb+c"),
    "base64url": b"3Zm9vYmE",
    "base64": b"3Zm9vYg==",
}
JOSE_BAD = {
    "jwt_alg_none": b"0" + jwt({"alg": "none"}, ASSERTION, b""),
    "jwt_hs256": b"0" + jwt({"alg": "HS256", "typ": "JWT"}, ASSERTION, b"\x02" * 32),
    "jwt_crit": b"0" + jwt({"alg": "RS256", "crit": ["b64"], "b64": False}, ASSERTION),
    "jwt_duplicate_alg": b"0" + jwt(b'{"alg":"RS256","alg":"none"}', ASSERTION),
    "jwt_duplicate_claim": b"0" + jwt({"alg": "RS256"}, b'{"sub":"1","sub":"2"}'),
    "jwt_padding": b"0" + RFC7515_JWS.replace(b".", b"=.", 1),
    "jwt_standard_alphabet": b"0" + RFC7515_JWS.replace(b"_", b"/"),
    "jwt_four_parts": b"0" + RFC7515_JWS + b".x",
    "jwt_exp_float": b"0" + jwt({"alg": "RS256"}, dict(ASSERTION, exp=1300822600.5)),
    "jwt_exp_string": b"0" + jwt({"alg": "RS256"}, dict(ASSERTION, exp="1300822600")),
    "jwt_iss_not_sub": b"0" + jwt({"alg": "RS256"}, dict(ASSERTION, sub="1")),
    "jwt_deep_header": b"0" + jwt(b'{"alg":"RS256","x":' + b"[" * 5000 + b"]" * 5000 + b"}", ASSERTION),
    "jwt_oversized": b"0" + jwt({"alg": "RS256"}, dict(ASSERTION, pad="x" * 16384)),
    "form_duplicate": b"1grant_type=a&grant_type=b",
    "form_bad_escape": b"1a=%4g&b=%",
    "form_empty_name": b"1=x&&a",
    "form_nul": b"1a=%00",
    "form_invalid_utf8": b"1a=%C0%AF",
    "basic_no_colon": b"2Basic " + base64.b64encode(b"nocolon"),
    "basic_unpadded": b"2Basic aWQ6cw",
    "base64_stray_bits": b"3Zh",
    "base64_padding_inside": b"3Zm8=Zm8=",
    "key_not_pem": b"4-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    "key_encrypted": b"4-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123456789ABCDEF0123456789ABCDEF\n\nMAA=\n-----END RSA PRIVATE KEY-----\n",
}


def main():
    for target in ("decoders", "routes", "http", "jose"):
        folder = os.path.join(HERE, "corpus", target)
        for name in os.listdir(folder) if os.path.isdir(folder) else []:
            if name.startswith(("valid_", "bad_")):
                os.remove(os.path.join(folder, name))

    # decoders
    for name, (sel, body) in VALID_BODIES.items():
        write("decoders", f"valid_{name}", sel.encode() + body)
    for name, body in BAD_BODIES:
        write("decoders", f"bad_{name}_add_machine_user", b"0" + body)
        write("decoders", f"bad_{name}_add_org", b"3" + body)
    write("decoders", "bad_roles_not_strings", b'4{"userId":"1","roles":[1,null,["IAM_OWNER"]]}')
    write("decoders", "bad_roles_nul", b'5{"roles":["ORG_OWNER\\u0000"]}')
    write("decoders", "bad_enum_out_of_int_range", b'1{"name":"a","accessTokenType":4294967296}')
    write("decoders", "bad_timestamp_year_10000", b'2{"expirationDate":"9999-12-31T23:59:59-23:59"}')
    write("decoders", "bad_list_user_changes_numbers", b'a{"query":{"sequence":-1,"limit":4294967296,"asc":"yes"}}')
    write("decoders", "bad_list_events_range_and_from", b'b{"range":{"since":"2026-01-01T00:00:00Z"},"from":"2026-01-01T00:00:00Z"}')
    write("decoders", "bad_list_events_empty_range", b'b{"range":{"since":"2026-01-02T00:00:00Z","until":"2026-01-01T00:00:00Z"}}')
    write("decoders", "bad_list_events_after_position", b'b{"afterPosition":"9223372036854775808","after_position":1}')
    write("decoders", "bad_list_events_too_many_types", b'b{"aggregateTypes":[' + b",".join([b'"user"'] * 11) + b']}')

    # routes
    for route in ROUTES:
        write("routes", f"valid_{slug(route)}", route.encode())
        if route in RPC_BODIES:
            write("routes", f"valid_{slug(route)}_body", route.encode() + b"\n" + RPC_BODIES[route])
    for name, raw in BAD_IDS.items():
        write("routes", f"bad_id_{name}_get_user", b"GET /management/v1/users/" + raw)
        write("routes", f"bad_id_{name}_remove_pat", b"DELETE /users/1/pats/" + raw)
        write("routes", f"bad_id_{name}_update_org_member",
              b"PUT /management/v1/orgs/me/members/" + raw + b'\n{"roles":["ORG_OWNER"]}')
    for name, route in {
        "empty_segment": "PUT /users//machine",
        "trailing_slash": "GET /users/1/",
        "wrong_method": "PATCH /management/v1/users/1",
        "wrong_service_prefix": "POST /admin/v1/users/machine",
        "prefix_only": "GET /management/v1",
        "no_leading_slash": "GET users/1",
        "absolute_form": "GET http://localhost/users/1",
    }.items():
        write("routes", f"bad_{name}", route.encode())

    # http: every RPC, then the known-bad requests
    for route in ROUTES:
        method, target = route.split(" ", 1)
        body = RPC_BODIES.get(route)
        write("http", f"valid_{slug(route)}", http_request(method, target.encode(), body))
    write("http", "valid_if_match_and_org",
          http_request("PUT", f"/users/{USER}/machine".encode(), VALID_BODIES["update_machine"][1],
                       [b'If-Match: W/"3"', b"x-zitadel-orgid: 648160430677557250"]))
    write("http", "valid_keep_alive_pipelined",
          http_request("GET", f"/users/{USER}".encode()) +
          http_request("POST", b"/orgs", b'{"name":"ACME"}') +
          http_request("DELETE", f"/users/{USER}".encode(), headers=[b"Connection: close"]))
    write("http", "valid_chunked",
          b"POST /orgs HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
          b"5\r\n{\"nam\r\na\r\ne\":\"ACME\"}\r\n0\r\n\r\n")
    write("http", "valid_expect_continue",
          http_request("POST", b"/orgs", b'{"name":"ACME"}', [b"Expect: 100-continue"]))
    write("http", "valid_head_healthz", b"HEAD /healthz HTTP/1.1\r\nHost: h\r\n\r\n")
    write("http", "bad_no_host_http11", http_request("GET", f"/users/{USER}".encode(), host=False))
    write("http", "bad_no_host_http11_body",
          http_request("POST", b"/orgs", b'{"name":"ACME"}', host=False))
    write("http", "bad_http10_no_host",
          http_request("GET", b"/healthz", host=False, version=b"HTTP/1.0"))
    write("http", "bad_if_match_twice",
          http_request("PUT", b"/users/1/machine", b'{"name":"a"}', [b'If-Match: "1"', b'If-Match: "2"']))
    write("http", "bad_content_length_over_limit",
          b"POST /orgs HTTP/1.1\r\nHost: h\r\nContent-Length: 1048577\r\n\r\n{}")
    write("http", "bad_header_invalid_utf8",
          http_request("GET", b"/orgs/me", headers=[b"x-zitadel-orgid: \xff\xfe\xed\xa0\x80"]))
    for name, raw in BAD_IDS.items():
        if b"\x01" in raw or b"\xff" in raw:
            continue  # Beast refuses raw control bytes and obs-text in the target
        write("http", f"bad_id_{name}",
              http_request("PUT", b"/management/v1/users/" + raw + b"/machine",
                           b'{"name":"a"}'))
    for name, body in BAD_BODIES:
        write("http", f"bad_{name}",
              http_request("POST", b"/management/v1/users/machine", body))

    # jose
    for name, data in JOSE_VALID.items():
        write("jose", f"valid_{name}", data)
    for name, pem in RFC7515_PEMS.items():
        write("jose", f"valid_key_rfc7515_{name}", b"4" + pem)
    for name, data in JOSE_BAD.items():
        write("jose", f"bad_{name}", data)


if __name__ == "__main__":
    main()
