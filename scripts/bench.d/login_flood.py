#!/usr/bin/env python3
"""A login flood for scripts/bench: 16 connections post wrong passwords for `seconds`
while one client reads /api/status/ with a token; the same reads alone first.

Usage: login_flood.py BASE_URL TOKEN SECONDS
Prints three tab-separated lines: name, value, unit — the status median quiet and
under the flood (ms), and the password checks the server made per second (answers
other than 429: each cost a hash).
"""

import http.client
import statistics
import sys
import threading
import time
import urllib.parse

base, token, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
url = urllib.parse.urlparse(base)
host, port = url.hostname, url.port
csrf = "ab" * 32
form = urllib.parse.urlencode(
    {"csrfmiddlewaretoken": csrf, "username": "admin", "password": "wrong"}
)


def guesser(stop, answers, lock):
    conn = http.client.HTTPConnection(host, port, timeout=60)
    while time.time() < stop:
        conn.request(
            "POST",
            "/login/",
            form,
            {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf}"},
        )
        res = conn.getresponse()
        res.read()
        with lock:
            answers[res.status] = answers.get(res.status, 0) + 1


def reader(stop, latencies):
    conn = http.client.HTTPConnection(host, port, timeout=60)
    while time.time() < stop:
        started = time.time()
        conn.request("GET", "/api/status/", headers={"Authorization": f"Token {token}"})
        res = conn.getresponse()
        res.read()
        latencies.append(time.time() - started)


def run(guessers):
    stop = time.time() + seconds
    latencies, answers, lock = [], {}, threading.Lock()
    threads = [threading.Thread(target=reader, args=(stop, latencies))]
    threads += [
        threading.Thread(target=guesser, args=(stop, answers, lock)) for _ in range(guessers)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statistics.median(latencies) * 1000, answers


quiet, _ = run(0)
flooded, answers = run(16)
checked = sum(n for status, n in answers.items() if status != 429)
print(f"status median, quiet\t{quiet:.2f}\tms")
print(f"status median, 16-connection login flood\t{flooded:.2f}\tms")
print(f"password checks under the flood\t{checked / seconds:.1f}\tchecks/s")
