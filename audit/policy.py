"""C2SP tlog-policy: which logs and which witnesses a checkpoint must be signed by before a verifier
trusts it (https://c2sp.org/tlog-policy).

    log <vkey> [<url>]
    witness <name> <vkey> [<url>]
    group <name> all|any|<k> <member>...
    quorum <name>          (a witness, a group, or none)

Lines may carry leading and trailing blanks; empty lines and lines starting with # are comments.
Groups and the quorum name only what earlier lines defined, so there is no cycle; each name is a
member of a group at most once. A checkpoint satisfies the policy when a listed log signed it (or a
key the verifier was given) and the quorum is met by valid cosignatures of the witnesses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from audit.checkpoint import Checkpoint, open_checkpoint
from audit.cosignature import CosignatureError, CosignerKey, parse_cosigner_vkey
from audit.errors import VerificationError
from audit.note import NoteError, _public, _split, parse_any_vkey

NONE = "none"
_COUNT = re.compile(r"[1-9][0-9]*")  # a group's threshold: a decimal without leading zeros, digits 0-9 only


class PolicyError(ValueError):
    """A policy file that does not follow the format; names its line."""


class QuorumError(VerificationError):
    """A checkpoint whose cosignatures do not meet the policy's quorum; names what is missing."""


@dataclass(frozen=True)
class Witness:
    name: str
    key: CosignerKey
    url: str = ""


@dataclass(frozen=True)
class Group:
    name: str
    threshold: int
    members: tuple[str, ...]


@dataclass
class Policy:
    logs: list[str] = field(default_factory=list)
    witnesses: dict[str, Witness] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    quorum: str = NONE

    def met(self, cosigned: set[str], name: str | None = None) -> bool:
        """Whether the witnesses named in `cosigned` meet the quorum (or the group `name`)."""
        name = self.quorum if name is None else name
        if name == NONE:
            return True
        if name in self.witnesses:
            return name in cosigned
        group = self.groups[name]
        return sum(self.met(cosigned, member) for member in group.members) >= group.threshold

    def wanting(self, cosigned: set[str], name: str | None = None) -> list[str]:
        """The witnesses under `name` (default: the quorum) that have not cosigned, when it is not met."""
        name = self.quorum if name is None else name
        if self.met(cosigned, name) or name == NONE:
            return []
        if name in self.witnesses:
            return [name]
        return [missing for member in self.groups[name].members for missing in self.wanting(cosigned, member)]

    def describe(self, name: str | None = None) -> str:
        name = self.quorum if name is None else name
        if name == NONE or name in self.witnesses:
            return name
        group = self.groups[name]
        inner = ", ".join(self.describe(member) for member in group.members)
        return f"{group.threshold} of ({inner})"


def parse_policy(text: str) -> Policy:
    policy = Policy()
    quorums = 0
    keys: set[bytes] = set()
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip(" \t")
        if not line or line.startswith("#"):
            continue
        words = re.split(r"[ \t]+", line)
        try:
            kind = words[0]
            if kind == "log" and len(words) in (2, 3):
                try:
                    log_key = parse_any_vkey(words[1])
                except ValueError as error:
                    raise PolicyError(f"not a log verifier key: {error}") from None
                public = _public(log_key)
                if public in keys:
                    raise PolicyError("two keys with the same public key")
                keys.add(public)
                policy.logs.append(words[1])
            elif kind == "witness" and len(words) in (3, 4):
                name = words[1]
                _new_name(policy, name)
                key = parse_cosigner_vkey(words[2])
                if key.public_key in keys:
                    raise PolicyError("two keys with the same public key")
                keys.add(key.public_key)
                policy.witnesses[name] = Witness(name, key, words[3] if len(words) == 4 else "")
            elif kind == "group" and len(words) >= 4:
                name, spec, members = words[1], words[2], tuple(words[3:])
                _new_name(policy, name)
                for member in members:
                    if member not in policy.witnesses and member not in policy.groups:
                        raise PolicyError(f"group member {member!r} is not defined on an earlier line")
                    if members.count(member) > 1 or any(member in g.members for g in policy.groups.values()):
                        raise PolicyError(f"{member!r} is a member of a group more than once")
                threshold = {"all": len(members), "any": 1}.get(spec)
                if threshold is None:
                    if not _COUNT.fullmatch(spec) or not 1 <= int(spec) <= len(members):
                        raise PolicyError(f"a group needs all, any or a number from 1 to {len(members)}")
                    threshold = int(spec)
                policy.groups[name] = Group(name, threshold, members)
            elif kind == "quorum" and len(words) == 2:
                if words[1] != NONE and words[1] not in policy.witnesses and words[1] not in policy.groups:
                    raise PolicyError(f"the quorum {words[1]!r} is not defined on an earlier line")
                policy.quorum, quorums = words[1], quorums + 1
            else:
                raise PolicyError(f"not a log, witness, group or quorum line: {line!r}")
        except (PolicyError, CosignatureError) as error:
            raise PolicyError(f"line {number}: {error}") from None
    if quorums != 1:
        raise PolicyError(f"a policy has exactly one quorum line, this one has {quorums}")
    return policy


def _new_name(policy: Policy, name: str) -> None:
    if name == NONE or name in policy.witnesses or name in policy.groups:
        raise PolicyError(f"the name {name!r} is taken")


def cosigners(note: str, policy: Policy) -> dict[str, int]:
    """The policy's witnesses whose cosignature on the note verifies, with its timestamp. A line that
    names a witness's key (name and key id) but does not verify is an error, not merely absent."""
    text, signatures = _split(note)
    by_identity = {(w.key.name, w.key.key_id): w for w in policy.witnesses.values()}
    found: dict[str, int] = {}
    for signature in signatures:
        witness = by_identity.get((signature.name, signature.key_id))
        if witness is None:
            continue
        try:
            found[witness.name] = witness.key.verify(text, signature.signature)
        except CosignatureError as error:
            raise NoteError(f"witness {witness.name}: {error}") from None
    return found


def check_quorum(note: str, policy: Policy, vkeys: list[str], origin: str | None = None) -> Checkpoint:
    """The checkpoint of `note` once a log key (given, or listed in the policy) signed it and the
    policy's quorum of witnesses cosigned it; QuorumError naming the witnesses it lacks."""
    checkpoint = open_checkpoint(note, list(vkeys) + policy.logs, origin=origin)
    cosigned = cosigners(note, policy)
    if not policy.met(set(cosigned)):
        missing = ", ".join(policy.wanting(set(cosigned)))
        raise QuorumError(
            f"the checkpoint of size {checkpoint.size} lacks the witnesses' quorum {policy.describe()}: "
            f"{len(cosigned)} cosigned ({', '.join(sorted(cosigned)) or 'none'}), missing {missing}"
        )
    return checkpoint
