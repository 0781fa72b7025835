"""The demo's group complaint is made by seed_demo, once."""

import pytest
from django.core.management import call_command

from groups.demo import DEMO_TITLE
from groups.models import CaseGroup, GroupMembership

pytestmark = pytest.mark.django_db


def test_seed_demo_makes_one_group_of_three_with_its_representative(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)
    group = CaseGroup.objects.get(title=DEMO_TITLE)
    assert group.merchant.name == "临沂鲜果汇食品有限公司"
    members = GroupMembership.objects.filter(group=group, left_at__isnull=True)
    assert members.count() == 3
    assert list(members.filter(is_representative=True).values_list("number", flat=True)) == [1]
