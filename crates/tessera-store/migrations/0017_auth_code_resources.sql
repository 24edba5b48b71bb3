-- RFC 8707: the resource indicators an authorization request named, bound to its code (a
-- JSON array, sorted): the audience of the tokens the code gives, and what a token request
-- may narrow.
ALTER TABLE auth_codes ADD COLUMN resources TEXT NOT NULL DEFAULT '[]';
