//! DICOM date-times (VR DT): `YYYY[MM[DD[HH[MM[SS[.F{1,6}]]]]]][&ZZXX]`.

/// Parses a DT value (surrounding whitespace ignored) into Unix seconds, with the fraction.
///
/// Missing components take their lowest value (month and day 1, time 0); a value without a
/// UTC offset is read as UTC. `None` for anything that is not a valid DT.
#[must_use]
pub fn unix_seconds(value: &str) -> Option<f64> {
    let v = value.trim();
    let (body, offset) = match v.find(['+', '-']) {
        Some(p) => (&v[..p], Some(&v[p..])),
        None => (v, None),
    };
    let (digits, fraction) = match body.split_once('.') {
        Some((d, f)) => (d, Some(f)),
        None => (body, None),
    };
    let number = |s: &str| -> Option<i64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    if !(4..=14).contains(&digits.len()) || digits.len() % 2 == 1 {
        return None;
    }
    let part = |start: usize, default: i64| -> Option<i64> {
        if digits.len() > start {
            number(&digits[start..start + 2])
        } else {
            Some(default)
        }
    };
    let year = number(&digits[..4])?;
    let (month, day) = (part(4, 1)?, part(6, 1)?);
    let (hour, minute, second) = (part(8, 0)?, part(10, 0)?, part(12, 0)?);
    let micros = match fraction {
        None => 0,
        Some(f) if (1..=6).contains(&f.len()) => number(f)? * 10i64.pow(6 - f.len() as u32),
        Some(_) => return None,
    };
    let offset = match offset {
        None => 0,
        Some(o) if o.len() == 5 => {
            let minutes = number(&o[1..3])? * 60 + number(&o[3..5])?;
            if minutes >= 24 * 60 {
                return None;
            }
            if o.starts_with('-') {
                -minutes * 60
            } else {
                minutes * 60
            }
        }
        Some(_) => return None,
    };
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
        || year < 1
    {
        return None;
    }
    let seconds =
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
    #[allow(clippy::cast_precision_loss)]
    Some(seconds as f64 + micros as f64 / 1e6)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::unix_seconds;

    #[test]
    fn full_and_partial_values() {
        assert_eq!(unix_seconds("19700101000000"), Some(0.0));
        assert_eq!(unix_seconds("19700101010000+0100"), Some(0.0));
        assert_eq!(unix_seconds("19691231190000.5-0500"), Some(0.5));
        assert_eq!(
            unix_seconds(" 20261124193610.485040+0000 "),
            Some(1_795_548_970.485_04)
        );
        assert_eq!(unix_seconds("1970"), Some(0.0));
        assert_eq!(unix_seconds("197001020"), None);
        assert_eq!(unix_seconds("1970010201"), Some(86_400.0 + 3600.0));
        assert_eq!(unix_seconds("2024022912"), Some(1_709_208_000.0));
        assert_eq!(unix_seconds("2023022912"), None);
        assert_eq!(unix_seconds("20261324193610"), None);
        assert_eq!(unix_seconds("20261124193610.+0000"), None);
        assert_eq!(unix_seconds("20261124193610+000"), None);
        assert_eq!(unix_seconds("20261124193610+2400"), None);
        assert_eq!(unix_seconds("20261124193610.1234567"), None);
        assert_eq!(unix_seconds(""), None);
        assert_eq!(unix_seconds("abcd"), None);
    }
}
