# 全站共用的文字。
money-test = 金额：{ $amount }
