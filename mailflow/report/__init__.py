"""The report to IFLA: pure rendering of accepted contributions into text, HTML, .docx, .csv and
.json, and the report mail. Same input, same bytes; reads no ledger (`mailflow.campaign.reporting`
feeds it).
"""
