"""Static files in production: hashed names from collectstatic, served by WhiteNoise, cached for a year."""

from __future__ import annotations

import json
import textwrap

from tests.deploy.conftest import production_env, run


def test_hashed_static_files_are_served_compressed_with_a_long_cache(tmp_path):
    env = production_env(STATIC_ROOT=str(tmp_path / "static"))
    collected = run(["manage.py", "collectstatic", "--noinput", "--verbosity", "0"], env)
    assert collected.returncode == 0, collected.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()

    script = textwrap.dedent(
        """
        import json, django
        django.setup()
        from django.templatetags.static import static
        from django.test import Client

        client = Client(HTTP_HOST="members.example.com")
        hashed = static("css/site.css")
        answers = {}
        for name, url, headers in (
            ("hashed", hashed, {"HTTP_ACCEPT_ENCODING": "gzip, br"}),
            ("plain", "/static/css/site.css", {}),
            ("http", hashed, {}),
        ):
            response = client.get(url, secure=name != "http", **headers)
            answers[name] = {
                "url": url,
                "status": response.status_code,
                "cache": response.get("Cache-Control"),
                "encoding": response.get("Content-Encoding"),
                "location": response.get("Location"),
            }
        print(json.dumps(answers))
        """
    )
    result = run(["-c", script], env)
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.strip().splitlines()[-1])

    hashed = answers["hashed"]
    assert hashed["url"].startswith("/static/css/site.") and hashed["url"] != "/static/css/site.css"
    assert hashed["status"] == 200
    assert hashed["cache"] == "max-age=315360000, public, immutable"
    assert hashed["encoding"] in {"br", "gzip"}
    # The unhashed name still works, but may change with any deploy: a short cache.
    assert answers["plain"]["status"] == 200 and answers["plain"]["cache"] == "max-age=60, public"
    # Plain HTTP is sent to HTTPS first.
    assert answers["http"]["status"] == 301 and answers["http"]["location"].startswith("https://members.example.com/")
