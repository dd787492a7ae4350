"""Hot Core statements compiled once per dialect and run with plain tuples on the DB-API cursor.

Through Core, every execution re-binds each value through a Python call per value and type, builds a parameter
dictionary per row and a ``Row`` per result, which is most of the cost of a 1,000-row batch (py-spy, docs/
benchmarks.md). A ``Compiled`` statement keeps the Core definition as the one definition of the query: it is
compiled by SQLAlchemy for the connection's dialect, once, and its values go through the converters the column
types themselves give for that dialect (``bind_processor`` / ``result_processor``), so a row written this way
reads back through Core exactly as one written through Core, and the other way round
(``tests/integration/storage/test_compiled.py``).

``any_of(column, name)`` is ``column IN (the values of one list parameter)``: ``= ANY(:name)`` on PostgreSQL and
``IN (SELECT value FROM json_each(?))`` on SQLite, so one statement (and one prepared plan) serves any number of
values, where an expanding ``IN`` renders a new statement per length.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ARRAY, Column, Connection, Dialect, String, TypeDecorator, bindparam
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ClauseElement, ColumnElement
from sqlalchemy.types import NullType, TypeEngine

Processor = Callable[[Any], Any]


class ValueList(TypeDecorator[list[Any]]):
    """A list bound as one parameter: an array on PostgreSQL, JSON text on SQLite (read with ``json_each``)."""

    impl = String
    cache_ok = True

    def __init__(self, item: TypeEngine[Any]) -> None:
        super().__init__()
        self.item = item

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(self.item))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: list[Any] | None, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return json.dumps(value)


class AnyOf(ColumnElement[Any]):
    """``column`` equals one of the values of the list parameter ``parameter`` (see ``any_of``)."""

    inherit_cache = True
    # Not Boolean: on SQLite a Boolean expression in WHERE would be rendered compared with 1.
    type = NullType()

    def __init__(self, column: ColumnElement[Any], parameter: BindParameter[Any]) -> None:
        self.column = column
        self.parameter = parameter


@compiles(AnyOf)
def _any_of_generic(element: AnyOf, compiler: SQLCompiler, **kw: Any) -> str:
    column, parameter = compiler.process(element.column, **kw), compiler.process(element.parameter, **kw)
    return f"{column} IN (SELECT value FROM json_each({parameter}))"  # noqa: S608 (compiled names, a placeholder)


@compiles(AnyOf, "postgresql")
def _any_of_postgresql(element: AnyOf, compiler: SQLCompiler, **kw: Any) -> str:
    column, parameter = compiler.process(element.column, **kw), compiler.process(element.parameter, **kw)
    return f"{column} = ANY({parameter})"


def any_of(column: Column[Any], name: str) -> AnyOf:
    """``column IN (:name)`` for a list ``name`` bound as one parameter, whatever its length."""
    return AnyOf(column, bindparam(name, type_=ValueList(column.type)))


def _bind_processor(kind: TypeEngine[Any], dialect: Dialect) -> Processor | None:
    return kind.dialect_impl(dialect).bind_processor(dialect)


def _result_processor(kind: TypeEngine[Any], dialect: Dialect, type_code: Any) -> Processor | None:
    # ``type_code``: the driver's type of the result column (cursor.description), as Core passes it.
    return kind.dialect_impl(dialect).result_processor(dialect, type_code)


def _converter(processors: Sequence[Processor | None]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """A function converting a row of values by position (``tuple`` when no value needs converting)."""
    pairs = [(i, p) for i, p in enumerate(processors) if p is not None]
    if not pairs:
        return tuple

    def convert(values: Sequence[Any]) -> tuple[Any, ...]:
        row = list(values)
        for i, process in pairs:
            row[i] = process(row[i])
        return tuple(row)

    return convert


class _Form:
    """A statement as one dialect runs it: its SQL, the order of its parameters, and the converters."""

    __slots__ = ("bind", "columns", "defaults", "dialect", "names", "result", "sql")

    def __init__(self, statement: ClauseElement, dialect: Dialect, column_keys: Sequence[str] | None) -> None:
        # A statement compiles to SQL (typed as the base class of every compiled form).
        keys = list(column_keys) if column_keys else None
        compiled: SQLCompiler = statement.compile(dialect=dialect, column_keys=keys)  # type: ignore[assignment]
        if not compiled.positional or compiled.positiontup is None:
            raise TypeError(f"{dialect.name}'s driver takes named parameters: run the statement through Core")
        binds = compiled.binds
        self.sql: str = compiled.string
        self.names: tuple[str, ...] = tuple(compiled.positiontup)
        self.defaults: dict[str, Any] = {name: binds[name].value for name in self.names}  # literals in the query
        self.bind = _converter([_bind_processor(binds[name].type, dialect) for name in self.names])
        self.dialect = dialect
        self.columns: Sequence[ColumnElement[Any]] = getattr(statement, "selected_columns", ())
        self.result: Callable[[Sequence[Any]], tuple[Any, ...]] | None = None  # from the first result's description

    def converted(self, description: Sequence[Sequence[Any]], rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """``rows`` converted as Core converts the query's columns."""
        if self.result is None:
            codes = [d[1] for d in description]
            self.result = _converter(
                [_result_processor(c.type, self.dialect, code) for c, code in zip(self.columns, codes, strict=True)]
            )
        return list(map(self.result, rows))


class Compiled:
    """A Core statement run below Core: compiled once per dialect, parameters and rows as tuples."""

    def __init__(self, statement: ClauseElement, *, column_keys: Sequence[str] | None = None) -> None:
        """``column_keys``: for an INSERT, the columns given (in the order of the values of each row)."""
        self.statement = statement
        self.column_keys = tuple(column_keys) if column_keys else None
        self._forms: dict[str, _Form] = {}

    def _form(self, connection: Connection) -> _Form:
        dialect = connection.dialect
        found = self._forms.get(dialect.name)
        if found is None:
            found = self._forms[dialect.name] = _Form(self.statement, dialect, self.column_keys)
        return found

    def _ordered(self, form: _Form, values: dict[str, Any] | Sequence[Any]) -> tuple[Any, ...]:
        if isinstance(values, dict):
            return form.bind([values[name] if name in values else form.defaults[name] for name in form.names])
        # Positional values follow column_keys (an INSERT); the compiled statement may order them otherwise.
        assert self.column_keys is not None
        by_name = dict(zip(self.column_keys, values, strict=True))
        return form.bind([by_name[name] for name in form.names])

    def execute_many(self, connection: Connection, rows: Sequence[Sequence[Any]] | Sequence[dict[str, Any]]) -> None:
        """Run the statement once per row, in the connection's transaction: each row its values in
        ``column_keys`` order, or by bind name."""
        if not rows:
            return
        form = self._form(connection)
        if self.column_keys is not None and form.names == self.column_keys and not isinstance(rows[0], dict):
            bind = form.bind
            prepared = [bind(row) for row in rows]  # type: ignore[arg-type]  # not dictionaries: checked above
        else:
            prepared = [self._ordered(form, row) for row in rows]
        cursor = connection.connection.cursor()
        try:
            cursor.executemany(form.sql, prepared)
        except connection.dialect.loaded_dbapi.Error as error:
            raise _as_sqlalchemy_error(connection, form.sql, error) from error
        finally:
            cursor.close()

    def fetch_all(self, connection: Connection, parameters: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Every row of the query as a tuple of values converted as Core would (in ``selected_columns`` order)."""
        form = self._form(connection)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(form.sql, self._ordered(form, parameters))
            rows = cursor.fetchall()
            description = cursor.description
        except connection.dialect.loaded_dbapi.Error as error:
            raise _as_sqlalchemy_error(connection, form.sql, error) from error
        finally:
            cursor.close()
        return form.converted(description, rows) if rows else []


def _as_sqlalchemy_error(connection: Connection, sql: str, error: Exception) -> DBAPIError:
    """The driver's error as Core would raise it (``DBAPIError`` with ``.orig``): the store's callers decide on
    those, e.g. a full disk (a 507 with nothing stored) or a deadlock to retry (storage/database.py), and a raw
    cursor's error must reach them in the same form as a Core statement's."""
    wrapped = DBAPIError.instance(sql, None, error, connection.dialect.loaded_dbapi.Error, dialect=connection.dialect)
    assert isinstance(wrapped, DBAPIError)
    return wrapped
