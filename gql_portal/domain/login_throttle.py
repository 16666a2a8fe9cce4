"""How long a log-in must wait after failures: growing delays, never a lock-out (no I/O here).

Three counts of failed log-ins within the window decide it:

* the (account, address) pair: `free_per_pair` failures cost nothing, then every next attempt
  from that address for that account waits 1, 2, 4 ... seconds after the pair's last failure,
  at most `max_delay_seconds`;
* the account from every address: past `slowdown_per_account` failures (someone is guessing,
  perhaps from many addresses) a pair has no free failures any more. An address without
  failures of its own for the account is never made to wait by this rule, so the owner's right
  password from their own address always gets through;
* the address across all accounts: past `free_per_address` failures (far more than an office
  behind one NAT address makes by mistake) every attempt from it waits likewise.

The answer is the number of seconds still to wait (0: go ahead), never a refusal for good.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ThrottleRules:
    free_per_pair: int
    slowdown_per_account: int
    free_per_address: int
    max_delay_seconds: int


@dataclass(frozen=True)
class FailureCounts:
    """Failed log-ins within the window."""

    pair: int  # this account from this address
    pair_last: datetime | None
    account: int  # this account from every address
    address: int  # this address for every account
    address_last: datetime | None


def growing_delay(failures: int, free: int, max_delay_seconds: int) -> int:
    """Seconds to wait after the last of `failures` when `free` of them cost nothing:
    0 while fewer than `free`, then 1, 2, 4 ... capped."""
    if failures == 0 or failures < free:
        return 0
    exponent = min(failures - max(free, 1), 62)  # a long streak: no need for a huge number
    return min(max_delay_seconds, 2**exponent)


def seconds_to_wait(counts: FailureCounts, rules: ThrottleRules, now: datetime) -> int:
    """Whole seconds until a log-in attempt may be tried (0: now)."""
    waits = [0.0]
    if counts.pair and counts.pair_last is not None:
        under_attack = counts.account > rules.slowdown_per_account
        free = 0 if under_attack else rules.free_per_pair
        delay = growing_delay(counts.pair, free, rules.max_delay_seconds)
        waits.append(delay - (now - counts.pair_last).total_seconds())
    if counts.address_last is not None:
        delay = growing_delay(counts.address, rules.free_per_address, rules.max_delay_seconds)
        waits.append(delay - (now - counts.address_last).total_seconds())
    return max(0, math.ceil(max(waits)))
