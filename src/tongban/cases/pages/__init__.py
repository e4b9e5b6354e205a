"""The pages of case handling (办件): applicants apply and follow their cases, staff handle them.

Every change goes through the commands in ``tongban.cases.services``; a page only reads, calls a
command with what the form sent, and shows the command's refusal next to the field it names. Forms are
plain HTML forms (POST, then a redirect to GET), so the pages work without JavaScript.
"""
