//! `xsd:dateTime` values (RFC 7643 §2.3.5): parsing for validation and for chronological filter
//! comparisons, and RFC 3339 formatting for `meta` timestamps.

use std::fmt;

/// An instant, UTC, with nanosecond precision. Orders chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub secs: i64,
    pub nanos: u32,
}

impl DateTime {
    pub fn from_unix(secs: i64, nanos: u32) -> Self {
        DateTime {
            secs,
            nanos: nanos.min(999_999_999),
        }
    }

    /// Parses `YYYY-MM-DDThh:mm:ss[.fraction][Z|±hh:mm]`. A value without a zone is taken as
    /// UTC (xsd leaves it "local"; a server has no better local than UTC). Years 0001–9999.
    pub fn parse(text: &str) -> Option<DateTime> {
        let b = text.as_bytes();
        if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
            return None;
        }
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let year = digits(&b[0..4])?;
        let month = digits(&b[5..7])?;
        let day = digits(&b[8..10])?;
        let hour = digits(&b[11..13])?;
        let minute = digits(&b[14..16])?;
        let second = digits(&b[17..19])?;
        if year == 0 || !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        // 24:00:00 is midnight at the end of the day in xsd; leap seconds are not representable.
        let end_of_day = hour == 24 && minute == 0 && second == 0;
        if (hour > 23 && !end_of_day) || minute > 59 || second > 59 {
            return None;
        }
        let mut rest = &b[19..];
        let mut nanos = 0u32;
        if let Some((&b'.', fraction)) = rest.split_first() {
            let len = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
            if len == 0 {
                return None;
            }
            for (i, &c) in fraction[..len].iter().enumerate() {
                if i < 9 {
                    nanos += u32::from(c - b'0') * 10u32.pow(8 - i as u32);
                }
            }
            rest = &fraction[len..];
        }
        let offset_secs: i64 = match rest {
            [] | [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let hours = digits(&[*h1, *h2])?;
                let minutes = digits(&[*m1, *m2])?;
                // xsd:dateTime offsets run from -14:00 to +14:00.
                if hours > 14 || minutes > 59 || (hours == 14 && minutes > 0) {
                    return None;
                }
                let magnitude = i64::from(hours * 3600 + minutes * 60);
                if *sign == b'-' { -magnitude } else { magnitude }
            }
            _ => return None,
        };
        if end_of_day && nanos != 0 {
            return None;
        }
        let days = days_from_civil(i64::from(year), month, day);
        let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset_secs;
        Some(DateTime { secs, nanos })
    }

    /// RFC 3339 in UTC, with milliseconds when the instant has a fraction
    /// (`2026-11-28T11:04:46Z`, `2026-11-28T11:04:46.120Z`).
    pub fn to_rfc3339(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.secs.div_euclid(86_400);
        let rem = self.secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
        write!(f, "{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}")?;
        if self.nanos != 0 {
            write!(f, ".{:03}", self.nanos / 1_000_000)?;
        }
        f.write_str("Z")
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
    })
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`,
/// http://howardhinnant.github.io/date_algorithms.html).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_idps_send() {
        let cases = [
            ("1970-01-01T00:00:00Z", Some((0, 0))),
            ("2011-05-13T04:42:34Z", Some((1_305_261_754, 0))),
            ("2011-05-13T04:42:34.5Z", Some((1_305_261_754, 500_000_000))),
            ("2011-05-13T06:42:34+02:00", Some((1_305_261_754, 0))),
            ("2011-05-13T04:42:34", Some((1_305_261_754, 0))),
            (
                "2011-05-13T04:42:34.123456789123Z",
                Some((1_305_261_754, 123_456_789)),
            ),
            ("2000-02-29T00:00:00Z", Some((951_782_400, 0))),
            ("1969-12-31T23:59:59Z", Some((-1, 0))),
            ("2001-02-29T00:00:00Z", None),
            ("2011-13-01T00:00:00Z", None),
            ("2011-05-13 04:42:34Z", None),
            ("2011-05-13T04:42:34.Z", None),
            ("2011-05-13T04:42:34+2:00", None),
            ("2011-05-13T18:42:34+14:00", Some((1_305_261_754, 0))),
            ("2011-05-13T04:42:34+14:30", None),
            ("2011-05-13T04:42:34-14:01", None),
            ("2011-05-13T25:00:00Z", None),
            ("0000-01-01T00:00:00Z", None),
            ("not a date", None),
            ("", None),
        ];
        for (text, expected) in cases {
            let parsed = DateTime::parse(text).map(|d| (d.secs, d.nanos));
            assert_eq!(parsed, expected, "{text}");
        }
    }

    #[test]
    fn formats_and_reparses() {
        for secs in [0, 1_305_261_754, -86_401, 253_402_300_799, 951_782_400] {
            let dt = DateTime::from_unix(secs, 120_000_000);
            let text = dt.to_rfc3339();
            assert_eq!(DateTime::parse(&text), Some(dt), "{text}");
        }
        assert_eq!(
            DateTime::from_unix(1_305_261_754, 0).to_string(),
            "2011-05-13T04:42:34Z"
        );
    }
}
