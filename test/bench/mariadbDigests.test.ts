/**
 * The cpu bench's MariaDB statement digests (bench/mariadbDigests.ts) on a real server with the
 * Performance Schema on: what ran in the bench's database since the reset, counted per statement
 * shape, rows examined summed, the longest first; another database's statements left out.
 */
import test from 'ava';
import { openDatabase } from '../../src/db/connect.js';
import { readDigests, resetDigests } from '../../bench/mariadbDigests.js';
import { findBinary, startMariaDb } from '../helpers/mariadb.js';
import { requireRealPart } from '../helpers/realPart.js';

const TITLE = 'MariaDB digests: statements since the reset, by shape, with their counts and rows examined, the longest first, of one database only';

if (requireRealPart(TITLE, findBinary('mariadbd') ? undefined : 'mariadbd is not installed (apt-get install -y mariadb-server)', { requiredBy: 'FUNCX_TEST_REQUIRE_MARIADB' })) {
  test(TITLE, async (t) => {
    t.timeout(180_000);
    const server = await startMariaDb({ serverArgs: ['--performance-schema=ON'] });
    t.teardown(() => server.stop());
    const admin = openDatabase(server.url, { poolMax: 1 });
    t.teardown(() => admin.destroy());
    for (const name of ['measured', 'other']) {
      await admin.raw(`CREATE DATABASE ${name}`);
      await admin.raw(`CREATE TABLE ${name}.items (id INT PRIMARY KEY, label VARCHAR(16))`);
      await admin.raw(`INSERT INTO ${name}.items VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e')`);
    }
    const measured = openDatabase(new URL('measured', server.url).toString(), { poolMax: 1 });
    t.teardown(() => measured.destroy());
    const other = openDatabase(new URL('other', server.url).toString(), { poolMax: 1 });
    t.teardown(() => other.destroy());

    await measured.raw('SELECT label FROM items WHERE id IN (1, 2)'); // before the reset: not counted
    await resetDigests(server.url);
    for (let i = 0; i < 7; i++) await measured.raw('SELECT label FROM items WHERE id IN (?, ?, ?)', [1, 2, 3]);
    // A full scan, three times: four of the five rows are examined beyond what it changes.
    for (let i = 0; i < 3; i++) await measured.raw("UPDATE items SET label = ? WHERE label LIKE '%a%'", [`a${i}`]);
    await measured.raw('SELECT SLEEP(0.2)'); // the longest: first
    for (let i = 0; i < 5; i++) await other.raw('SELECT label FROM items WHERE id IN (?, ?, ?)', [4, 5, 1]);

    const rows = await readDigests(server.url, 'measured', 50);
    // Digest text: identifiers quoted, some upper-cased as keywords (`ID`), values as ? and (...).
    const find = (start: string) => rows.find((row) => row.statement.replace(/`/g, '').toLowerCase().startsWith(start.toLowerCase()));
    t.regex(rows[0].statement, /SLEEP/, 'the longest statement comes first');
    t.true(rows[0].serverMs >= 150, `SLEEP(0.2) took ${rows[0].serverMs} ms of server time`);
    t.like(find('SELECT label FROM items WHERE id IN'), { count: 7, rowsExamined: 21 }, 'the same shape counted once per run, with the rows it read (not the other database\'s 5 or the one before the reset)');
    t.like(find('UPDATE items SET label'), { count: 3, rowsExamined: 15 });
    for (let i = 1; i < rows.length; i++) t.true(rows[i - 1].serverMs >= rows[i].serverMs, 'ordered by server time');
  });
}
