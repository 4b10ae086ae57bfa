"""Helpers for the moderation tests: admin URLs, and running an admin action with its confirmation."""

from importlib import import_module

from django.urls import reverse

moderators_migration = import_module("moderation.migrations.0003_moderators_read_the_admin_log")


def changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def run_action(client, model, action, objects, confirm=True, **extra):
    """POST an admin action on objects: the confirmation page, then (confirm) the "yes"."""
    data = {"action": action, "_selected_action": [o.pk for o in objects], **extra}
    page = client.post(changelist(model), data)
    if not confirm:
        return page
    assert page.status_code == 200, page
    assert 'name="post" value="yes"' in page.text
    return client.post(changelist(model), {**data, "post": "yes"}, follow=True)
