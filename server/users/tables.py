from piccolo.columns import JSON, UUID, Boolean, Timestamptz, Varchar
from piccolo.columns.defaults.uuid import UUID4
from piccolo.table import Table


class AppUser(Table, tablename="app_user"):
    id = UUID(primary_key=True, default=UUID4())
    username = Varchar(length=100, unique=True)
    full_name = Varchar(length=255)
    email = Varchar(length=255, null=True, default=None)
    role = Varchar(length=20)
    home_unit_id = UUID(index=True)
    password_hash = Varchar(length=255)
    language = Varchar(length=5, default="vi")
    active = Boolean(default=True)
    notification_targets = JSON(default=[])
    created_at = Timestamptz()
    updated_at = Timestamptz()


TABLES = [AppUser]
