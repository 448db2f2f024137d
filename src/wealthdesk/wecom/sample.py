"""The official vectors of WeCom's Python callback sample (weworkapi_python, callback/Sample.py).

Example 2 ("对用户回复的消息解密": a POST envelope, its signature and its plaintext) and example 1 ("验证回调URL":
the URL verification GET). Our crypto is tested against them, and the callback benchmark decrypts them: any
implementation that verifies and decrypts these exactly speaks WeCom's format.
"""

from __future__ import annotations

TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
CORP_ID = "ww1436e0e65a779aee"
TIMESTAMP = "1476422779"
NONCE = "1597212914"
MSG_SIGNATURE = "0c3914025cb4b4d68103f6bfc8db550f79dcf48e"
ENCRYPT = (
    "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNshw2AEew"
    "+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24Yhm"
    "ZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwo"
    "cugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+"
)
PLAINTEXT = (
    "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName>"
    "<CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content><MsgId>1456453720</MsgId>"
    "<AgentID>1000002</AgentID></xml>"
)
# the POST body exactly as in the sample (newline-separated, CDATA)
POST_BODY = (
    f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>\n<Encrypt><![CDATA[{ENCRYPT}]]></Encrypt>\n"
    "<AgentID><![CDATA[1000002]]></AgentID>\n</xml>"
)
# example 1 of the same sample (URL verification GET)
GET_SIGNATURE = "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb"
GET_TIMESTAMP = "1476416373"
GET_NONCE = "47744683"
GET_ECHOSTR = "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA=="
