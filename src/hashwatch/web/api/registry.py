"""The registry of facilities: list and search, look up, import (admins), export, template."""

from __future__ import annotations

import shutil
from dataclasses import asdict
from enum import StrEnum
from functools import partial
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import FileResponse
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from hashwatch.io.registry_files import configured_districts
from hashwatch.services import registry, views
from hashwatch.services.detection_scores import with_detection
from hashwatch.web.api.files import download, file_responses, save_upload, scratch_dir
from hashwatch.web.api.models import ChangeCountsOut, FacilityOut, ImportOut
from hashwatch.web.api.routing import COMMON, PLAIN_TEXT, ApiRoute, CodePath
from hashwatch.web.deps import AdminDep, DbDep, RegulatorDep, SettingsDep

router = APIRouter(prefix="/api/v1", tags=["registry"], route_class=ApiRoute, responses=COMMON)

FILE_TYPES = ("csv", "xlsx")


class SheetFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


FormatQuery = Annotated[SheetFormat, Query(alias="format", description="csv or xlsx.")]


class FacilityListOut(FacilityOut):
    """A facility with its latest stored detection result (its meters in the newest run
    that scored any of them); all null/false when no run scored its meters."""

    detection_run_id: int | None = Field(description="The newest run that scored its meters.")
    detection_score: float | None = Field(
        description="Its meters' highest mining-likeness score in that run (0-1)."
    )
    detection_candidate: bool = Field(description="Any of its meters a candidate in that run.")


@router.get(
    "/facilities", summary="List and search facilities", response_model=list[FacilityListOut]
)
def list_facilities(
    *,
    _: RegulatorDep,
    db: DbDep,
    settings: SettingsDep,
    q: Annotated[str | None, Query(max_length=200, pattern=PLAIN_TEXT)] = None,
    district: Annotated[str | None, Query(max_length=64, pattern=PLAIN_TEXT)] = None,
    organization_uscc: Annotated[str | None, Query(max_length=18, pattern=PLAIN_TEXT)] = None,
    limit: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> list[FacilityListOut]:
    """Facilities by code, filtered by district, organization and text, each with its latest
    stored detection result (regulator only)."""
    rows = views.search_facilities(
        db, settings, q=q, district=district, organization_uscc=organization_uscc, limit=limit
    )
    return [FacilityListOut(**r) for r in with_detection(db, rows)]


@router.get("/facilities/{code}", summary="One facility", response_model=FacilityOut)
def get_facility(code: CodePath, _: RegulatorDep, db: DbDep, settings: SettingsDep) -> FacilityOut:
    """A facility with its organization, meters and IP ranges (regulator only)."""
    found = registry.get_facility(db, code, districts=configured_districts(settings.district_file))
    return FacilityOut(**found)


@router.post("/registry/imports", summary="Import a registry file", response_model=ImportOut)
async def import_registry(
    principal: AdminDep,
    db: DbDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="The registry as .csv or .xlsx.")],
    dry_run: Annotated[bool, Query(description="Check everything, write nothing.")] = False,
) -> ImportOut:
    """Import a CSV or XLSX registry file: every row or none (admins only, dry runs too).
    Bad rows give 422 whose ``problems`` list each row error (row number, column, message)."""
    directory = scratch_dir()
    try:
        path = await save_upload(file, directory, FILE_TYPES)
        result = await run_in_threadpool(  # parsing and writing: off the event loop
            partial(
                registry.import_registry,
                actor=principal.name,
                dry_run=dry_run,
                districts=configured_districts(settings.district_file),
            ),
            db,
            path,
        )
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return ImportOut(
        file=path.name,
        rows=result.rows,
        organizations=ChangeCountsOut.model_validate(asdict(result.organizations)),
        facilities=ChangeCountsOut.model_validate(asdict(result.facilities)),
        notes=list(result.notes),
        dry_run=result.dry_run,
    )


@router.get(
    "/registry/export",
    summary="Export the registry",
    response_class=FileResponse,
    responses=file_responses(*FILE_TYPES),
)
def export_registry(_: RegulatorDep, db: DbDep, fmt: FormatQuery = SheetFormat.CSV) -> FileResponse:
    """The whole registry as a file that the import reads back (regulator only)."""
    return download(f"registry.{fmt.value}", lambda path: registry.export_registry(db, path))


@router.get(
    "/registry/template",
    summary="The registry template",
    response_class=FileResponse,
    responses=file_responses(*FILE_TYPES),
)
def registry_template(
    _: RegulatorDep, settings: SettingsDep, fmt: FormatQuery = SheetFormat.XLSX
) -> FileResponse:
    """The fill-in template: header, an example row, districts and help (regulator only)."""
    districts = configured_districts(settings.district_file)
    return download(
        f"registry-template.{fmt.value}",
        lambda path: registry.registry_template(path, districts=districts),
    )
