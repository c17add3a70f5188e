import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Attribute names and values compare byte for byte, trailing spaces included. `utf8mb4_bin` is a
 * PAD SPACE collation: "gold" and "gold " were one key of `failure_attribute_stats`, so one
 * value's counts went to the other (SQLite keeps them apart). The NO PAD binary collation is
 * `utf8mb4_nopad_bin` on MariaDB and `utf8mb4_0900_bin` on MySQL 8. No rows merge: a PAD SPACE key
 * could not hold both spellings. (SQLite needs nothing: its BINARY collation never pads.)
 */
export class ExactAttributeValues1765200000000 implements MigrationInterface {
  name = 'ExactAttributeValues1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await this.collate(q, await noPadBinary(q));
  }

  async down(q: QueryRunner): Promise<void> {
    await this.collate(q, 'utf8mb4_bin');
  }

  private async collate(q: QueryRunner, collation: string): Promise<void> {
    await q.query(`ALTER TABLE failure_attribute_stats
      MODIFY attribute varchar(100) CHARACTER SET utf8mb4 COLLATE ${collation} NOT NULL,
      MODIFY value varchar(255) CHARACTER SET utf8mb4 COLLATE ${collation} NOT NULL`);
  }
}

async function noPadBinary(q: QueryRunner): Promise<string> {
  const rows: Array<{ v: string }> = await q.query('SELECT VERSION() AS v');
  return /mariadb/i.test(String(rows[0]?.v)) ? 'utf8mb4_nopad_bin' : 'utf8mb4_0900_bin';
}
