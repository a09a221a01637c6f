"""The directory in formats that other systems read: Open Referral HSDS 3.0 (`hsds`) and spreadsheets
(`spreadsheet`). Our own lossless format is `directory.exporting`; see docs/directory-format.md."""
