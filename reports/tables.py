from piccolo.columns import UUID, Date, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.uuid import UUID4
from piccolo.table import Table


class MinutesNumber(Table, tablename="minutes_number"):
    """The official number of an inspection's minutes: ``Số: 05/BB-ĐKT``, counted per issuing
    body per year from 01 (Decree 30, Art. 15). Both language versions share it."""

    id = UUID(primary_key=True, default=UUID4())
    inspection_id = UUID(unique=True)
    issuing_unit_id = UUID()
    year = Integer()
    number = Integer()
    symbol = Varchar(length=30)
    issued_on = Date()
    created_at = Timestamptz()


class MinutesDocument(Table, tablename="minutes_document"):
    """A rendered, stored minutes PDF of a signed inspection. Served as stored ever after, so a
    re-render returns the same bytes. ``content_sha256`` is printed in the document (a file cannot
    contain its own hash); ``pdf_sha256`` is the hash of the file. /verify accepts either."""

    id = UUID(primary_key=True, default=UUID4())
    inspection_id = UUID()
    language = Varchar(length=5)
    content_sha256 = Varchar(length=64, index=True)
    pdf_sha256 = Varchar(length=64, index=True)
    file_path = Varchar(length=500)
    size_bytes = Integer()
    created_at = Timestamptz()


TABLES = [MinutesNumber, MinutesDocument]
