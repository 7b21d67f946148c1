// Which backend files a migration command can run: small apps of the shapes real FastAPI backends have (a migrate
// module, alembic, a src layout, a runner in front), each on a real file system.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ImageSpec } from '../../scripts/lib/config.ts'
import { importsOf, migrationDigest, migrationScope } from '../../scripts/lib/migration-inputs.ts'

const DOCKERFILE = path.join(import.meta.dirname, '../../backend-docker/Dockerfile')

function app(files: Record<string, string>): ImageSpec & { write: (rel: string, text: string) => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'mig-inputs-'))
  const write = (rel: string, text: string): void => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
    writeFileSync(path.join(dir, rel), text)
  }
  for (const [rel, text] of Object.entries({ 'pyproject.toml': '[project]\nname = "x"\n', ...files })) write(rel, text)
  return {
    component: 'backend',
    name: 'x',
    contextDir: dir,
    dockerfile: DOCKERFILE,
    buildArgs: {},
    sizeBudgetMb: 0,
    write,
  }
}

const files = (spec: ImageSpec, command: string[]): string[] => {
  const s = migrationScope(spec, command)
  if (s.kind !== 'files') throw new Error(`scope is the image: ${s.why}`)
  return [...s.files].sort()
}

// a migrate module the way the reference app and many SQLModel apps write it
const MODULE_APP = {
  'app/__init__.py': '',
  'app/migrate.py':
    'from sqlmodel import SQLModel\nfrom . import models  # noqa: F401\nfrom .db import (\n    engine,  # the shared engine\n    url as _url,\n)\n\nif __name__ == "__main__":\n    SQLModel.metadata.create_all(engine)\n',
  'app/models.py':
    'from typing import TYPE_CHECKING\nfrom sqlmodel import Field, SQLModel\nif TYPE_CHECKING:\n    from app.schemas import TaskOut\n\nclass Task(SQLModel, table=True):\n    id: int = Field(primary_key=True)\n',
  'app/schemas.py': 'from pydantic import BaseModel\nclass TaskOut(BaseModel):\n    id: int\n',
  'app/db.py':
    'import os, app.settings as s\ndef engine():\n    from .pool import make  # imported where it is used\n    return make(os.environ["DATABASE_URL"])\nurl = s.URL\n',
  'app/settings.py': 'URL = "postgresql://"\n',
  'app/pool.py': 'def make(url): return url\n',
  'app/main.py': 'from fastapi import FastAPI\nfrom .routes import tasks\napp = FastAPI()\n',
  'app/routes/__init__.py': '',
  'app/routes/tasks.py': 'from ..models import Task\n',
  'app/chatbot/agent.py': 'import openai\n',
  'queries/tasks.sql': 'select 1;\n',
}

describe('migration inputs: the files a migration command can import', () => {
  it('python -m: the module, what it imports (relative, parenthesized, in functions, under TYPE_CHECKING) and each __init__.py; not the routes', () => {
    const spec = app(MODULE_APP)
    expect(files(spec, ['python', '-m', 'app.migrate'])).toEqual([
      'app/__init__.py',
      'app/db.py',
      'app/migrate.py',
      'app/models.py',
      'app/pool.py',
      'app/schemas.py',
      'app/settings.py',
    ])
    // a runner in front changes nothing
    expect(files(spec, ['uv', 'run', '--no-sync', 'python3', '-m', 'app.migrate'])).toEqual(
      files(spec, ['python', '-m', 'app.migrate']),
    )
  })

  it('a route edit leaves the digest alone; a model, a dependency file or a non-Python file changes it', () => {
    const spec = app(MODULE_APP)
    const cmd = ['python', '-m', 'app.migrate']
    const before = migrationDigest(spec, cmd).digest
    spec.write('app/routes/tasks.py', 'from ..models import Task\nX = 1\n')
    spec.write('app/main.py', 'from fastapi import FastAPI\napp = FastAPI(title="changed")\n')
    expect(migrationDigest(spec, cmd).digest).toBe(before)
    spec.write('app/models.py', MODULE_APP['app/models.py'] + '    title: str\n')
    const model = migrationDigest(spec, cmd).digest
    expect(model).not.toBe(before)
    spec.write('pyproject.toml', '[project]\nname = "x"\ndependencies = ["sqlmodel>=0.0.22"]\n')
    const deps = migrationDigest(spec, cmd).digest
    expect(deps).not.toBe(model)
    spec.write('queries/tasks.sql', 'select 2;\n')
    expect(migrationDigest(spec, cmd).digest).not.toBe(deps)
  })

  it('alembic: env.py, every revision and what env.py imports, found through alembic.ini', () => {
    const spec = app({
      'alembic.ini': '[alembic]\nscript_location = %(here)s/migrations\nprepend_sys_path = .\n',
      'migrations/env.py':
        'from alembic import context\nfrom app.models import Base\ntarget_metadata = Base.metadata\n',
      'migrations/script.py.mako': '${upgrades}\n',
      'migrations/versions/0001_tasks.py': 'from alembic import op\nrevision = "0001"\n',
      'migrations/versions/0002_title.py': 'from alembic import op\nrevision = "0002"\n',
      'app/__init__.py': '',
      'app/models.py': 'from .base import Base\n',
      'app/base.py': 'class Base: metadata = None\n',
      'app/api.py': 'from .models import Base\n',
    })
    expect(files(spec, ['alembic', 'upgrade', 'head'])).toEqual([
      'app/__init__.py',
      'app/base.py',
      'app/models.py',
      'migrations/env.py',
      'migrations/versions/0001_tasks.py',
      'migrations/versions/0002_title.py',
    ])
    expect(files(spec, ['python', '-m', 'alembic', '-c', 'alembic.ini', 'upgrade', 'head'])).toHaveLength(6)
  })

  it('a src layout, a package run with -m (its __main__.py), a star import and a script file', () => {
    const spec = app({
      'src/todo/__init__.py': '',
      'src/todo/db/__init__.py': 'from .models import *\n',
      'src/todo/db/__main__.py': 'from . import create\n',
      'src/todo/db/create.py': 'from todo.db import *\n',
      'src/todo/db/models.py': '',
      'src/todo/db/seed.py': '',
      'src/todo/web.py': '',
      'scripts/migrate.py': 'import helpers\nfrom todo.db import create\n',
      'scripts/helpers.py': '',
    })
    // the star import from a package counts every module beside its __init__.py
    expect(files(spec, ['python', '-m', 'todo.db'])).toEqual([
      'src/todo/__init__.py',
      'src/todo/db/__init__.py',
      'src/todo/db/__main__.py',
      'src/todo/db/create.py',
      'src/todo/db/models.py',
      'src/todo/db/seed.py',
    ])
    // a script's own directory is on its sys.path
    expect(files(spec, ['python', '/app/scripts/migrate.py'])).toContain('scripts/helpers.py')
    expect(files(spec, ['python', '/app/scripts/migrate.py'])).not.toContain('src/todo/web.py')
  })

  it("several migration scripts run by sh -c (init's form for them): every script's imports, and nothing else", () => {
    const spec = app({
      'config.py': '',
      'models.py': '',
      'routes.py': 'import models\n',
      'migrations/001_tasks.sql': 'CREATE TABLE tasks (id int);\n',
      'scripts/migrate.py': 'import config\n',
      'scripts/migrate_conversations.py': 'from models import Conversation\nfrom config import settings\n',
    })
    const line = 'python scripts/migrate.py && python scripts/migrate_conversations.py'
    expect(files(spec, ['sh', '-c', line])).toEqual([
      'config.py',
      'models.py',
      'scripts/migrate.py',
      'scripts/migrate_conversations.py',
    ])
    // anything else a shell line can do (a pipe, a variable, a quoted word) is more than the kit reads
    const s = migrationScope(spec, ['sh', '-c', 'python scripts/migrate.py | tee "$LOG"'])
    expect(s.kind === 'image' && s.why).toMatch(/is a shell line, not commands joined by &&/)
  })

  it('the kit cannot tell: a dynamic import, an unknown command, a module that is not there, alembic without its ini', () => {
    const spec = app({
      'app/__init__.py': '',
      'app/migrate.py': 'import importlib\nfor name in PLUGINS:\n    importlib.import_module(name)\n',
      'app/upgrade.py': 'import importlib\nimportlib.import_module("app.models")\n',
      'app/models.py': '',
    })
    const why = (cmd: string[]): string => {
      const s = migrationScope(spec, cmd)
      return s.kind === 'image' ? s.why : 'files'
    }
    expect(why(['python', '-m', 'app.migrate'])).toMatch(
      /app\/migrate\.py imports by name at run time \(import_module\(name/,
    )
    // a literal name is an import like any other
    expect(files(spec, ['python', '-m', 'app.upgrade'])).toContain('app/models.py')
    expect(why(['./migrate.sh'])).toMatch(/is not python -m, a \.py file or alembic/)
    expect(why(['python', '-m', 'app.nothing'])).toMatch(/its module app\.nothing is no file of/)
    expect(why(['alembic', 'upgrade', 'head'])).toMatch(/alembic's alembic\.ini is not in the build context/)
    // no command: no step, and nothing of the image counts
    expect(files(spec, [])).toEqual([])
  })

  it('reads import statements as Python writes them', () => {
    const { imports, dynamic } = importsOf(
      'import a.b as c, d\nfrom .. import (x,\n  y as z)  # comment\ntry: import e\nexcept ImportError: pass\nfrom f import \\\n  g\n"""\nnot import-like text\n"""\n',
    )
    expect(dynamic).toBeNull()
    expect(imports).toEqual([
      { level: 2, module: '', names: ['x', 'y'] },
      { level: 0, module: 'f', names: ['g'] },
      { level: 0, module: 'a.b', names: [] },
      { level: 0, module: 'd', names: [] },
      { level: 0, module: 'e', names: [] },
    ])
  })
})
