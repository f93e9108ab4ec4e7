from ops.checks import mail_has_a_server


def test_the_deploy_check_wants_a_mail_server_for_smtp(settings):
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    settings.MAILERS = {"default": {"BACKEND": smtp, "OPTIONS": {"host": ""}}}
    assert [e.id for e in mail_has_a_server()] == ["kieumau.E001"]
    settings.MAILERS = {"default": {"BACKEND": smtp, "OPTIONS": {"host": "mail.x"}}}
    assert mail_has_a_server() == []
    console = "django.core.mail.backends.console.EmailBackend"
    settings.MAILERS = {"default": {"BACKEND": console}}
    assert mail_has_a_server() == []
