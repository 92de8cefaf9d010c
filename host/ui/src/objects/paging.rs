//! Page math for object lists (`page` is 1-based, `per_page` 50 by default, at most
//! 1000) and the query-string URLs the list links to.

use serde::Serialize;

use nautobot_objects::query::{DEFAULT_LIMIT, MAX_LIMIT};

/// The page sizes the list offers.
pub const PER_PAGE_CHOICES: &[u64] = &[25, 50, 100, 250, 500, 1000];

/// The page asked for: `page` and `per_page` from the query string, cleaned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based page number.
    pub page: u64,
    /// Objects per page (1 to [`MAX_LIMIT`]).
    pub per_page: u64,
}

impl PageRequest {
    /// Reads `page` and `per_page`: anything missing or unreadable takes the default,
    /// `per_page` is capped at [`MAX_LIMIT`].
    pub fn from_params(params: &[(String, String)]) -> PageRequest {
        let get = |key: &str| {
            params
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .and_then(|(_, v)| v.trim().parse::<u64>().ok())
        };
        let per_page = match get("per_page") {
            Some(0) | None => DEFAULT_LIMIT,
            Some(n) => n.min(MAX_LIMIT),
        };
        let page = get("page").filter(|p| *p > 0).unwrap_or(1);
        PageRequest { page, per_page }
    }

    /// Objects skipped before this page.
    pub fn offset(&self) -> u64 {
        (self.page - 1).saturating_mul(self.per_page)
    }
}

/// What the pagination bar shows once the total is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pagination {
    /// The page shown (clamped to the last page).
    pub page: u64,
    /// Objects per page.
    pub per_page: u64,
    /// How many pages there are (at least 1).
    pub num_pages: u64,
    /// Objects matching in all.
    pub count: u64,
    /// 1-based position of the first object shown (0 when there are none).
    pub start: u64,
    /// 1-based position of the last object shown (0 when there are none).
    pub end: u64,
}

/// How many pages `count` objects fill.
pub fn num_pages(count: u64, per_page: u64) -> u64 {
    if count == 0 || per_page == 0 {
        1
    } else {
        count.div_ceil(per_page)
    }
}

/// The page `requested` clamped to the pages `count` objects fill.
pub fn clamp(requested: PageRequest, count: u64) -> PageRequest {
    PageRequest {
        page: requested
            .page
            .clamp(1, num_pages(count, requested.per_page)),
        per_page: requested.per_page,
    }
}

/// The pagination bar of page `request` (already clamped) out of `count` objects.
pub fn paginate(request: PageRequest, count: u64) -> Pagination {
    let request = clamp(request, count);
    let offset = request.offset();
    let (start, end) = if count == 0 {
        (0, 0)
    } else {
        (offset + 1, (offset + request.per_page).min(count))
    };
    Pagination {
        page: request.page,
        per_page: request.per_page,
        num_pages: num_pages(count, request.per_page),
        count,
        start,
        end,
    }
}

/// The page numbers to link: the first, the last and two either side of `current`;
/// `None` marks a gap.
pub fn page_numbers(current: u64, num_pages: u64) -> Vec<Option<u64>> {
    let mut out = Vec::new();
    let mut last = 0;
    for n in 1..=num_pages {
        let near = n + 2 >= current && n <= current + 2;
        if n == 1 || n == num_pages || near {
            if last != 0 && n > last + 1 {
                out.push(None);
            }
            out.push(Some(n));
            last = n;
        }
    }
    out
}

/// `path?<params>` with `set` replacing (or adding) keys and `remove` dropping them;
/// the order of the other parameters is kept.
pub fn url_with(
    path: &str,
    params: &[(String, String)],
    set: &[(&str, String)],
    remove: &[&str],
) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    let mut any = false;
    for (k, v) in params {
        if remove.contains(&k.as_str()) || set.iter().any(|(s, _)| s == k) {
            continue;
        }
        out.append_pair(k, v);
        any = true;
    }
    for (k, v) in set {
        out.append_pair(k, v);
        any = true;
    }
    if any {
        format!("{path}?{}", out.finish())
    } else {
        path.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn page_and_per_page_are_cleaned() {
        let r = PageRequest::from_params(&[]);
        assert_eq!((r.page, r.per_page, r.offset()), (1, 50, 0));
        let r = PageRequest::from_params(&params(&[("page", "3"), ("per_page", "25")]));
        assert_eq!((r.page, r.per_page, r.offset()), (3, 25, 50));
        let r = PageRequest::from_params(&params(&[("page", "0"), ("per_page", "5000")]));
        assert_eq!((r.page, r.per_page), (1, 1000));
        let r = PageRequest::from_params(&params(&[("page", "x"), ("per_page", "-1")]));
        assert_eq!((r.page, r.per_page), (1, 50));
        let r = PageRequest::from_params(&params(&[("per_page", "0")]));
        assert_eq!(r.per_page, 50);
    }

    #[test]
    fn showing_x_to_y_of_n() {
        let p = paginate(
            PageRequest {
                page: 1,
                per_page: 50,
            },
            0,
        );
        assert_eq!((p.start, p.end, p.count, p.num_pages), (0, 0, 0, 1));
        let p = paginate(
            PageRequest {
                page: 1,
                per_page: 2,
            },
            5,
        );
        assert_eq!((p.start, p.end, p.num_pages), (1, 2, 3));
        let p = paginate(
            PageRequest {
                page: 3,
                per_page: 2,
            },
            5,
        );
        assert_eq!((p.start, p.end), (5, 5));
        // Past the end: the last page.
        let p = paginate(
            PageRequest {
                page: 9,
                per_page: 2,
            },
            5,
        );
        assert_eq!((p.page, p.start, p.end), (3, 5, 5));
        assert_eq!(num_pages(100, 50), 2);
        assert_eq!(num_pages(101, 50), 3);
    }

    #[test]
    fn page_links_have_gaps() {
        assert_eq!(page_numbers(1, 1), vec![Some(1)]);
        assert_eq!(page_numbers(1, 4), vec![Some(1), Some(2), Some(3), Some(4)]);
        assert_eq!(
            page_numbers(6, 12),
            vec![
                Some(1),
                None,
                Some(4),
                Some(5),
                Some(6),
                Some(7),
                Some(8),
                None,
                Some(12)
            ]
        );
    }

    #[test]
    fn urls_keep_filters_and_replace_keys() {
        let p = params(&[("name", "a b"), ("page", "2"), ("sort", "name")]);
        assert_eq!(
            url_with(
                "/dcim/locations/",
                &p,
                &[("sort", "-name".into())],
                &["page"]
            ),
            "/dcim/locations/?name=a+b&sort=-name"
        );
        assert_eq!(url_with("/x/", &[], &[], &[]), "/x/");
        assert_eq!(url_with("/x/", &p, &[], &["name", "page", "sort"]), "/x/");
    }
}
