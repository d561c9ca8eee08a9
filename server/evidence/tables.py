from piccolo.columns import (
    UUID,
    BigInt,
    Boolean,
    DoublePrecision,
    Integer,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.uuid import UUID4
from piccolo.table import Table


class Evidence(Table, tablename="evidence"):
    """An evidence file, content-addressed: the original bytes never change once stored."""

    id = UUID(primary_key=True, default=UUID4())
    sha256 = Varchar(length=64, unique=True)
    media_type = Varchar(length=50)
    size_bytes = BigInt()
    width = Integer(null=True, default=None)
    height = Integer(null=True, default=None)
    taken_at = Timestamptz(null=True, default=None)
    taken_at_is_local = Boolean(default=False)
    latitude = DoublePrecision(null=True, default=None)
    longitude = DoublePrecision(null=True, default=None)
    original_path = Varchar(length=500)
    derivative_path = Varchar(length=500, null=True, default=None)
    uploaded_by = UUID()
    uploaded_at = Timestamptz()


TABLES = [Evidence]
