from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    DoublePrecision,
    Integer,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.uuid import UUID4
from piccolo.table import Table


class Unit(Table, tablename="unit"):
    """A node of the administrative tree.

    ``path`` is the chain of ids from the root, each followed by "/" ("/<root>/<child>/"), so a
    subtree is one indexed prefix match on both engines, with no recursive query.
    """

    id = UUID(primary_key=True, default=UUID4())
    code = Varchar(length=50, unique=True)
    name_vi = Varchar(length=255)
    name_en = Varchar(length=255)
    kind = Varchar(length=30)
    parent_id = UUID(null=True, default=None, index=True)
    path = Varchar(length=2000, index=True)
    depth = Integer(default=0)
    latitude = DoublePrecision(null=True, default=None)
    longitude = DoublePrecision(null=True, default=None)
    geofence_radius_m = Integer(default=300)
    time_zone = Varchar(length=64, default="Asia/Ho_Chi_Minh")
    language = Varchar(length=5, default="vi")
    active = Boolean(default=True)
    notification_targets = JSON(default=[])
    created_at = Timestamptz()
    updated_at = Timestamptz()


TABLES = [Unit]
