# Public transparency page.

transparency-nav = Transparency
transparency-title = Complaint transparency
transparency-intro = A summary of how the City of Banjarmasin handles public complaints. Reporters' identities are never shown, and confidential reports are not in the list.
transparency-statistics = Statistics
transparency-period = Reports received from { $from } to { $until }.
transparency-received = reports received
transparency-standards = Timeliness against the service standards
transparency-standards-help = "Met" counts the reports handled before the standard's deadline; "counted" counts the reports already handled or past their deadline.
transparency-by-month = Reports by month
transparency-by-category = Reports by category
transparency-by-agency = Reports by agency
transparency-by-kecamatan = Reports by district (kecamatan)
transparency-value = Group
transparency-count = Count
transparency-none = Not yet assigned
transparency-map = Map of reports
transparency-map-help = The map shows the newest reports that have a location pin. The table under the map lists the same places.
transparency-map-table = Report locations as a table
transparency-number = Report number
transparency-place = Kelurahan
transparency-latitude = Latitude
transparency-longitude = Longitude
transparency-list = Reports and responses
transparency-list-help = A report's text is shown once the central admin has verified it. Internal notes and reporters' identities are not shown.
transparency-page = { $total } reports, page { $page } of { $pages }.
transparency-pages = Pages of the report list
transparency-previous = Previous page
transparency-next = Next page
transparency-awaiting = The text is shown once the report is verified.
transparency-no-category = No category
transparency-photo = View photo
transparency-open-data = The same data is available to other apps through

# Report form map by keyboard.
portal-map-keyboard = With a keyboard: reach the map with Tab, move it with the arrow keys, zoom with + and -, then press Enter or the "Mark the map centre" button to mark the point under the cross.
portal-map-centre = Mark the map centre
