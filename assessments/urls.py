from django.urls import path

from .views import (
    carryover,
    comments,
    criterion,
    dossier,
    indicators,
    queue,
    recognition,
    resumable,
    reuse,
    validity,
    wards,
)

urlpatterns = [
    path("", wards.home, name="home"),
    path("wards/", wards.ward_list, name="ward_list"),
    path("wards/search/", wards.unit_search, name="unit_search"),
    path("wards/<str:code>/", wards.ward_detail, name="ward_detail"),
    path("wards/<str:code>/history/", wards.ward_history, name="ward_history"),
    path("wards/<str:code>/dossier/", wards.ward_dossier, name="ward_dossier"),
    path(
        "wards/<str:code>/dossier.zip",
        dossier.ward_dossier_zip,
        name="ward_dossier_zip",
    ),
    path(
        "wards/<str:code>/dossier.pdf",
        dossier.ward_dossier_pdf,
        name="ward_dossier_pdf",
    ),
    path("wards/<str:code>/<int:year>/propose/", recognition.propose, name="propose"),
    path(
        "wards/<str:code>/<int:year>/track/",
        recognition.change_track,
        name="change_track",
    ),
    path(
        "wards/<str:code>/<int:year>/carry-over/",
        carryover.ward_carry_over,
        name="ward_carry_over",
    ),
    path(
        "wards/<str:code>/<int:year>/<int:number>/",
        criterion.criterion_detail,
        name="criterion_detail",
    ),
    path(
        "wards/<str:code>/<int:year>/<int:number>/comments/",
        comments.add,
        name="comment_add",
    ),
    path(
        "wards/<str:code>/<int:year>/<int:number>/figures/",
        indicators.enter,
        name="indicator_enter",
    ),
    path("comments/<int:pk>/file/", comments.comment_file, name="comment_file"),
    path(
        "wards/<str:code>/<int:year>/<int:number>/upload/",
        criterion.upload,
        name="criterion_upload",
    ),
    path(
        "wards/<str:code>/<int:year>/<int:number>/upload/resumable/",
        resumable.create,
        name="resumable_create",
    ),
    path("uploads/<uuid:pk>/", resumable.upload, name="resumable_upload"),
    path(
        "wards/<str:code>/<int:year>/<int:number>/carry-over/",
        carryover.criterion_carry_over,
        name="criterion_carry_over",
    ),
    path(
        "wards/<str:code>/<int:year>/<int:number>/<str:action>/",
        criterion.act,
        name="criterion_act",
    ),
    path("evidence/<int:pk>/", criterion.download, name="evidence_download"),
    path(
        "evidence/<int:pk>/view/",
        criterion.download,
        {"inline": True},
        name="evidence_view",
    ),
    path("evidence/<int:pk>/withdraw/", criterion.withdraw, name="evidence_withdraw"),
    path(
        "evidence/<int:pk>/new-version/",
        criterion.new_version,
        name="evidence_new_version",
    ),
    path(
        "evidence/<int:pk>/validity/", validity.set_validity, name="evidence_validity"
    ),
    path(
        "evidence/<int:pk>/replace/",
        validity.require_replacement,
        name="evidence_require_replacement",
    ),
    path("evidence/<int:pk>/confirm/", carryover.confirm, name="evidence_confirm"),
    path(
        "evidence/<int:pk>/allow-reuse/",
        reuse.allow_reuse,
        name="evidence_allow_reuse",
    ),
    path("review/", queue.review_queue, name="review_queue"),
    path("recognition/", recognition.overview, name="recognition"),
    path("recognition/quotas/", recognition.quota_set, name="quota_set"),
    path("recognition/open-year/", recognition.open_year, name="open_year"),
    path("recognition/<str:code>/", recognition.registration, name="registration"),
    path(
        "recognition/<str:code>/register/",
        recognition.register_unit,
        name="register_unit",
    ),
    path("proposals/", recognition.proposal_queue, name="proposal_queue"),
    path("proposals/accept/", recognition.accept_selected, name="proposals_accept"),
    path("proposals/<int:pk>/", recognition.proposal_detail, name="proposal_detail"),
    path(
        "proposals/<int:pk>/accept/",
        recognition.proposal_accept,
        name="proposal_accept",
    ),
    path(
        "proposals/<int:pk>/return/",
        recognition.proposal_return,
        name="proposal_return",
    ),
    path("decisions/", recognition.decision_list, name="decision_list"),
    path("decisions/new/", recognition.decision_new, name="decision_new"),
    path("decisions/<int:pk>/", recognition.decision_detail, name="decision_detail"),
    path("decisions/<int:pk>/scan/", recognition.decision_scan, name="decision_scan"),
]
