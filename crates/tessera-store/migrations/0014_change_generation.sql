-- A counter that every transaction changing grants or the scope catalogue raises, where the
-- backend has no change announcements of its own (SQLite): a server polls it to learn of
-- changes another process made to the same database, such as `tessera scopes add`.
CREATE TABLE change_generation (
    id BIGINT PRIMARY KEY,
    generation BIGINT NOT NULL
);
INSERT INTO change_generation (id, generation) VALUES (1, 0);
