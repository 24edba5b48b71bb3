//! Databases already migrated keep opening: sqlx refuses to start on a database where an
//! applied migration's checksum (SHA-384 of the file) no longer matches the file, so the
//! shipped migrations must never change. These are the checksums recorded in
//! `_sqlx_migrations` by databases migrated before the backends shared one folder.

const SHIPPED: [(i64, &str, &str); 8] = [
    (
        1,
        "foundation",
        "e656c65c3fbe331665bc5d4cd5ff02c33a6eeab7586e5b5f5c31e3aa61cf195613fefd46d3a23d4dace0b40aff3cc639",
    ),
    (
        2,
        "user identity",
        "be340230f861b436e57f4c468a61de8cdd9d52b5c08196194e49bdc44470649e2e7b12cb6b56376eb301ac51583c10d2",
    ),
    (
        3,
        "permission lifecycle",
        "e58c53d4239cafba104e4adc1de5acd5edc71495f5e5c28089674a7e52aa093fd2867a11ea9deec6c4418cff03ef47f2",
    ),
    (
        4,
        "third party apps",
        "68f697663846aae7613282b4264ae136422d6d65d21dfb5a3e09e857b0d26aa7e1d901c477c94071ef0d653300c52ada",
    ),
    (
        5,
        "device flow",
        "69f267440bb9a85fda0c7be644acacc0115818ba882704d6db0502bf89a145f13262297597f43af484172b15afa85eeb",
    ),
    (6, "console", "032349706736e66049aaa579c736b43bc6a387dc3bb75dac22aff33c0199eeb0acb5da213489d3d25a2a4246fe8f157d"),
    (
        7,
        "resource server",
        "a8c6fba01add4d973901f5570645ac59f511d459bc067b344385a820d6222c0abc7da54a6088d02a3d2956fe4e4ab691",
    ),
    (
        8,
        "bounded growth",
        "a6a88d5874334320f76ceeb6a75bb0a8ec8ab9c14edabe471962b7ae78d08a48b2410663fa78b3c70cdb1336a18b3174",
    ),
];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn shipped_migrations_are_unchanged() {
    let migrations = super::MIGRATOR.iter().collect::<Vec<_>>();
    assert!(migrations.len() >= SHIPPED.len(), "a shipped migration is missing");
    for ((version, description, checksum), m) in SHIPPED.iter().zip(&migrations) {
        assert_eq!(m.version, *version);
        assert_eq!(m.description, *description, "migration {version} was renamed");
        assert_eq!(hex(&m.checksum), *checksum, "migration {version} was edited: databases migrated before refuse it");
    }
}
