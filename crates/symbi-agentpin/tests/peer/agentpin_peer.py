"""The published Python `agentpin` package as an interop peer for symbi-agentpin's tests.

Usage: python agentpin_peer.py <scenario> < input.json > output.json
Each scenario reads one JSON object and writes one JSON object; nothing else is printed.
"""

import json
import sys
from datetime import datetime, timezone

import agentpin as ap


def now_iso():
    return datetime.now(timezone.utc).isoformat()


def agent(agent_id, capabilities, constraints=None, status="active"):
    declaration = {
        "agent_id": agent_id,
        "name": agent_id.rsplit(":", 1)[-1],
        "capabilities": capabilities,
        "status": status,
    }
    if constraints is not None:
        declaration["constraints"] = constraints
    return declaration


def issue(_input):
    """Python issues: keys, discovery documents, credentials (plain, audience, constraints,
    delegated by a maker), a revocation document, a bundle and a pin file."""
    priv, pub = ap.generate_key_pair()
    maker_priv, maker_pub = ap.generate_key_pair()
    domain, maker = "issuer.example", "maker.example"
    scout = f"urn:agentpin:{domain}:scout"
    maker_type = f"urn:agentpin:{maker}:scout-type"
    caps = ["read:codebase", "write:report"]
    defaults = {"data_classification_max": "confidential", "rate_limit": "100/hour"}
    discovery = ap.build_discovery_document(
        domain, "deployer", [ap.pem_to_jwk(pub, "issuer-2026-01")],
        [agent(scout, caps, defaults), agent(f"urn:agentpin:{domain}:retired", caps, status="suspended")],
        2, now_iso())
    maker_discovery = ap.build_discovery_document(
        maker, "maker", [ap.pem_to_jwk(maker_pub, "maker-2026-01")], [agent(maker_type, ["read:*", "write:*"])],
        1, now_iso())
    attestation = ap.create_attestation(
        maker_priv, "maker-2026-01", maker, "maker", maker_type, domain, scout,
        [ap.Capability(c) for c in caps])
    many = [ap.issue_credential(priv, "issuer-2026-01", domain, scout, None, caps, None, None, 3600) for _ in range(40)]
    revocation = ap.build_revocation_document(domain)
    revoked = ap.issue_credential(priv, "issuer-2026-01", domain, scout, None, caps, None, None, 3600)
    ap.add_revoked_credential(revocation, ap.decode_jwt_unverified(revoked)[1]["jti"], "superseded")
    bundle = ap.create_trust_bundle()
    bundle["documents"] += [discovery, maker_discovery]
    bundle["revocations"].append(revocation)
    pins = ap.KeyPinStore()
    pins.check_and_pin(domain, discovery["public_keys"][0])
    return {
        "discovery": discovery,
        "maker_discovery": maker_discovery,
        "revocation": revocation,
        "bundle": bundle,
        "pins": pins.to_json(),
        "public_key_pem": pub,
        "private_key_pem": priv,
        "thumbprint": ap.jwk_thumbprint(discovery["public_keys"][0]),
        "key_id": ap.generate_key_id(pub),
        "credentials": {
            "plain": ap.issue_credential(priv, "issuer-2026-01", domain, scout, None, caps, None, None, 3600),
            "audience": ap.issue_credential(priv, "issuer-2026-01", domain, scout, "verifier.example", caps, None, None, 3600),
            "narrowed": ap.issue_credential(
                priv, "issuer-2026-01", domain, scout, None, ["read:codebase.github.com/org"],
                {"data_classification_max": "internal", "rate_limit": "1/minute"}, None, 3600),
            "widened": ap.issue_credential(
                priv, "issuer-2026-01", domain, scout, None, caps, {"data_classification_max": "restricted"}, None, 3600),
            "escalated": ap.issue_credential(priv, "issuer-2026-01", domain, scout, None, ["admin:all"], None, None, 3600),
            "suspended": ap.issue_credential(
                priv, "issuer-2026-01", domain, f"urn:agentpin:{domain}:retired", None, caps, None, None, 3600),
            "delegated": ap.issue_credential(priv, "issuer-2026-01", domain, scout, None, caps, None, [attestation], 3600),
            "revoked": revoked,
        },
        "many": many,
    }


def verify(data):
    """Python verifies credentials we issued, each against its discovery document."""
    results = {}
    for name, case in data["cases"].items():
        result = ap.verify_credential_offline(
            case["jwt"], case["discovery"], case.get("revocation"), ap.KeyPinStore(), case.get("audience"))
        results[name] = {"valid": result.valid, "error_code": result.error_code and str(result.error_code.value)}
    bundle_result = ap.verify_credential_with_bundle(data["bundle_jwt"], data["bundle"], ap.KeyPinStore())
    results["bundle"] = {"valid": bundle_result.valid, "error_code": bundle_result.error_code and str(bundle_result.error_code.value)}
    results["thumbprint"] = ap.jwk_thumbprint(data["jwk"])
    results["key_id"] = ap.generate_key_id(data["public_key_pem"])
    results["jwk_pem_equal"] = ap.jwk_to_pem(data["jwk"]) == data["public_key_pem"]
    pins = ap.KeyPinStore.from_json(data["pins"])
    results["pinned"] = [pk["public_key_hash"] for pk in pins.get_domain(data["pin_domain"])["pinned_keys"]]
    results["attestation_ok"] = attestation_verifies(data["attestation"])
    # Our PKCS#8 private key PEM loads in Python and signs credentials we then verify.
    results["python_signed_with_our_key"] = ap.issue_credential(
        data["private_key_pem"], data["kid"], data["issuer"], data["agent_id"], None, [], None, None, 600)
    return results


def attestation_verifies(case):
    try:
        ap.verify_attestation(case["entry"], case["public_key_pem"], case["delegatee_domain"],
                              case["delegatee_agent_id"], [ap.Capability(c) for c in case["capabilities"]])
        return True
    except ap.AgentPinError:
        return False


def challenge(_input):
    """Python challenges; the test answers and Python checks with `respond`."""
    priv, pub = ap.generate_key_pair()
    return {"challenge": ap.create_challenge(), "private_key_pem": priv, "public_key_pem": pub}


def check_response(data):
    try:
        ok = ap.verify_response(data["response"], data["challenge"], data["public_key_pem"])
    except ValueError:
        ok = False
    return {"valid": ok}


def respond(data):
    """Python answers a challenge we issued, with a key it generates and publishes."""
    return {"response": ap.create_response(data["challenge"], data["private_key_pem"], data["kid"])}


SCENARIOS = {
    "issue": issue,
    "verify": verify,
    "challenge": challenge,
    "check_response": check_response,
    "respond": respond,
}

if __name__ == "__main__":
    json.dump(SCENARIOS[sys.argv[1]](json.load(sys.stdin)), sys.stdout)
