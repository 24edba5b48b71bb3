"""What a person does in the browser during Tessera's authorization flow, for the scripts
that drive real clients: sign in on the login page and approve the consent page.
"""
import html
import re

import requests

HIDDEN = re.compile(r'<input type="hidden" name="([^"]*)" value="([^"]*)">')


def hidden_inputs(page):
    """The hidden fields of the page's form, unescaped."""
    return {html.unescape(k): html.unescape(v) for k, v in HIDDEN.findall(page)}


def expect(response, status):
    if response.status_code != status:
        raise SystemExit(f"{response.request.method} {response.url}: expected {status}, got "
                         f"{response.status_code} {response.headers} {response.text}")
    return response


def sign_in_and_approve(base, authorization_url, account, password):
    """What the user does in the browser; returns the URL the server redirects back to."""
    browser = requests.Session()
    login = expect(browser.get(authorization_url), 200)  # redirected to the sign-in form
    form = hidden_inputs(login.text)
    form.update(account=account, password=password)
    signed_in = expect(browser.post(f"{base}/login", data=form, allow_redirects=False), 303)
    consent = expect(browser.get(base + signed_in.headers["Location"], allow_redirects=False), 200)
    form = hidden_inputs(consent.text)
    form["decision"] = "approve"
    approved = expect(browser.post(f"{base}/oauth2/authorize", data=form, allow_redirects=False), 302)
    return approved.headers["Location"]
