//! Timestamp encodings used by ISO 9660 (ECMA-119 8.4.26.1 and 9.1.5) and by
//! Rock Ridge `TF` entries. All times are written in UTC (offset 0).

/// Broken-down UTC time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

/// Converts seconds since the Unix epoch into a UTC calendar date
/// (proleptic Gregorian calendar, era-based day arithmetic).
pub(crate) fn civil_from_unix(secs: i64) -> Civil {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Shift the epoch to 0000-03-01 so leap days fall at the end of a year.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // day of era, 0..=146096
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // 0..=365
    let mp = (5 * doy + 2) / 153; // March-based month, 0..=11
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        hour: (rem / 3_600) as u32,
        minute: (rem % 3_600 / 60) as u32,
        second: (rem % 60) as u32,
    }
}

/// The 7-byte "recording date and time" of a directory record and of
/// Rock Ridge `TF` entries in short form. Years outside 1900..=2155 are
/// clamped to the representable range.
pub(crate) fn dir_date(secs: i64) -> [u8; 7] {
    let secs = secs.clamp(-2_208_988_800, 5_933_635_199); // 1900-01-01 .. 2155-12-31T23:59:59
    let c = civil_from_unix(secs);
    [
        (c.year - 1900) as u8,
        c.month as u8,
        c.day as u8,
        c.hour as u8,
        c.minute as u8,
        c.second as u8,
        0,
    ]
}

/// The 17-byte volume descriptor date ("YYYYMMDDHHMMSScc" + offset).
pub(crate) fn volume_date(secs: i64) -> [u8; 17] {
    let secs = secs.clamp(-62_135_596_800, 253_402_300_799); // years 1..=9999
    let c = civil_from_unix(secs);
    let text = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}00",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    );
    let mut out = [0u8; 17];
    out[..16].copy_from_slice(text.as_bytes());
    out
}

/// The "not specified" volume descriptor date: sixteen '0' digits and a zero offset.
pub(crate) fn volume_date_unset() -> [u8; 17] {
    let mut out = [b'0'; 17];
    out[16] = 0;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(
            civil_from_unix(0),
            Civil {
                year: 1970,
                month: 1,
                day: 1,
                hour: 0,
                minute: 0,
                second: 0
            }
        );
        // 2023-11-14T22:13:20Z
        assert_eq!(
            civil_from_unix(1_700_000_000),
            Civil {
                year: 2023,
                month: 11,
                day: 14,
                hour: 22,
                minute: 13,
                second: 20
            }
        );
        // Leap day.
        assert_eq!(civil_from_unix(951_782_400).month, 2);
        assert_eq!(civil_from_unix(951_782_400).day, 29);
        assert_eq!(&volume_date(1_700_000_000)[..16], b"2023111422132000");
        assert_eq!(dir_date(1_700_000_000), [123, 11, 14, 22, 13, 20, 0]);
    }
}
