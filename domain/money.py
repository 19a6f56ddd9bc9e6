"""Money as a Decimal amount with an ISO 4217 currency: never floats for rewards."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from domain.errors import InvalidCommand

# The currencies of the company's sites and vendors, plus the common ones. Kept short and
# explicit rather than pulling a currency database for one validation.
ISO_4217 = frozenset(
    {
        *("HKD", "SGD", "IDR", "VND", "LKR", "CNY", "MYR", "THB", "PHP", "INR", "KRW", "TWD"),
        *("USD", "EUR", "GBP", "JPY", "AUD", "CHF", "CAD", "NZD"),
    }
)
MINOR_UNITS = {"IDR": 0, "VND": 0, "JPY": 0, "KRW": 0}


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    @classmethod
    def of(cls, amount: str | Decimal | int, currency: str) -> Money:
        """Parse and validate: positive, in a known currency, no more decimals than it has."""
        try:
            value = Decimal(str(amount))
        except InvalidOperation:
            raise InvalidCommand(f"amount {amount!r} is not a decimal number", "amount") from None
        if not value.is_finite() or value <= 0:
            raise InvalidCommand("amount must be a positive decimal", "amount")
        code = str(currency).upper()
        if code not in ISO_4217:
            raise InvalidCommand(f"currency {currency!r} is not a supported ISO 4217 code", "currency")
        places = MINOR_UNITS.get(code, 2)
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            raise InvalidCommand(f"{code} amounts have at most {places} decimal places", "amount")
        return cls(value.quantize(Decimal(1).scaleb(-places)), code)

    def as_dict(self) -> dict[str, str]:
        return {"amount": str(self.amount), "currency": self.currency}
