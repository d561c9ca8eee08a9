from piccolo.columns import JSON, UUID, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.uuid import UUID4
from piccolo.table import Table


class ChecklistVersion(Table, tablename="checklist_version"):
    """One published, immutable version of a checklist template (its canonical JSON and hash)."""

    id = UUID(primary_key=True, default=UUID4())
    template_key = Varchar(length=100)
    version = Integer()
    title_vi = Varchar(length=500)
    title_en = Varchar(length=500)
    content = JSON()
    content_sha256 = Varchar(length=64, index=True)
    published_at = Timestamptz()
    published_by = Varchar(length=200)


TABLES = [ChecklistVersion]
